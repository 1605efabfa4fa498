/**
 * End to end with real engines: one served name, two variants from synthetic models of different
 * seeds (`synthetic:tiny:1` and `synthetic:tiny:2`) plus a shadow on the first file, loaded from a
 * variants file the way `--config` loads it, and driven with the official openai SDK: the
 * `x-model-variant` header, sticky users, different outputs per variant, shared weights, per-variant
 * metrics, and an operator's promotion through the admin API.
 */
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {type LoadedModels, loadServedModels} from "../../../server/models/loadServedModels.ts";
import {servedModelSpecsOfFile} from "../../../server/models/servedModelSpecs.ts";
import {readVariantsFile} from "../../../server/canary/variantConfig.ts";
import type {VariantRouter} from "../../../server/canary/VariantRouter.ts";
import {ServerMetrics} from "../../../server/metrics/ServerMetrics.ts";
import {ModelRegistry} from "../../../server/ModelRegistry.ts";
import {eventually} from "../../utils/eventually.ts";
import {type ServedApp, serveRegistry} from "../../utils/servedApp.ts";
import {scrape} from "../scrape.ts";

const ADMIN_KEY = "e2e-key";
const folder = mkdtempSync(join(tmpdir(), "inflight-canary-"));
let loaded: LoadedModels;
let served: ServedApp;
let router: VariantRouter;
let client: OpenAI;
let url: string;

beforeAll(async () => {
  const configPath = join(folder, "variants.yaml");
  writeFileSync(configPath, `
models:
  chat:
    sticky_key: user
    variants:
      - {name: stable, model: "synthetic:tiny:1", weight: 50}
      - {name: canary, model: "synthetic:tiny:2", weight: 50, guardrails: {max_error_rate: 0.05, min_samples: 50}}
      - {name: mirror, model: "synthetic:tiny:1", shadow: 1, parallel: 1}
`);
  const specs = servedModelSpecsOfFile(readVariantsFile(configPath), {
    gpu: "off", threads: 1, parallel: 2, ctxSize: 256, batchSize: 128, maxNumBatchedTokens: undefined, maxQueueLength: 16, policy: "fcfs",
    isPreemptionEnabled: false, requestTimeoutMs: undefined, hostPrefixCacheBytes: 0, isPrefixCachingEnabled: true, speculation: undefined
  });
  loaded = await loadServedModels(specs, {gpu: "off", log: () => {}});
  const registry = new ModelRegistry();
  for (const loadedRouter of loaded.routers) registry.addRouter(loadedRouter);
  router = loaded.routers[0]!;
  served = await serveRegistry(registry, {adminKey: ADMIN_KEY, metrics: new ServerMetrics({isProcessMetricsEnabled: false})});
  url = served.url;
  client = new OpenAI({baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0});
}, 120_000);

afterAll(async () => {
  await served?.[Symbol.asyncDispose]();
  await loaded?.[Symbol.asyncDispose]();
  rmSync(folder, {recursive: true, force: true});
});

const messages = [{role: "user", content: "Tell me about foxes."}] as const;

async function ask(user: string, stream = false) {
  const params = {model: "chat", user, messages: [...messages], max_tokens: 8, temperature: 0, ignore_eos: true};
  if (stream) {
    const {data, response} = await client.chat.completions.create({...params, stream: true} as OpenAI.ChatCompletionCreateParamsStreaming).withResponse();
    let content = "";
    for await (const chunk of data) content += chunk.choices[0]?.delta.content ?? "";
    return {variant: response.headers.get("x-model-variant"), content};
  }
  const {data, response} = await client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
  return {variant: response.headers.get("x-model-variant"), content: data.choices[0]!.message.content!, model: data.model};
}

/** The first user the router sends to `variant`. */
function userOn(variant: string): string {
  return Array.from({length: 500}, (_, index) => `user-${index}`).find((user) => router.assign({user}).variant.name === variant)!;
}

describe("two synthetic variants behind one served name", () => {
  it("loads each distinct file once: three variants on two loaded models", () => {
    expect(loaded.numLoadedModels).toBe(2);
    const [stable, , mirror] = router.variants.map((variant) => variant.model as unknown as {runtime: {model: unknown; context: unknown}});
    expect(router.variants.map((variant) => variant.name)).toEqual(["stable", "canary", "mirror"]);
    expect(stable!.runtime.model).toBe(mirror!.runtime.model);
    expect(stable!.runtime.context).not.toBe(mirror!.runtime.context);
  });

  it("lists one model and answers under the served name, with the variant in a header", async () => {
    expect((await client.models.list()).data.map((model) => model.id)).toEqual(["chat"]);
    const answer = await ask(userOn("stable"));
    expect(answer).toMatchObject({variant: "stable", model: "chat"});
  });

  it("keeps each user on one variant, and the variants answer differently", async () => {
    const stableUser = userOn("stable");
    const canaryUser = userOn("canary");
    const onStable = [await ask(stableUser), await ask(stableUser, true), await ask(stableUser)];
    const onCanary = [await ask(canaryUser), await ask(canaryUser, true), await ask(canaryUser)];
    expect(onStable.map((answer) => answer.variant)).toEqual(["stable", "stable", "stable"]);
    expect(onCanary.map((answer) => answer.variant)).toEqual(["canary", "canary", "canary"]);
    // Greedy decoding: one model always says the same; models of different seeds say different things.
    expect(new Set(onStable.map((answer) => answer.content)).size).toBe(1);
    expect(new Set(onCanary.map((answer) => answer.content)).size).toBe(1);
    expect(onStable[0]!.content).not.toBe(onCanary[0]!.content);
  });

  it("splits a population of users between both variants and labels metrics by variant", async () => {
    const seen = new Map<string, number>();
    for (let index = 0; index < 16; index++) {
      const {variant} = await ask(`population-${index}`);
      seen.set(variant!, (seen.get(variant!) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(["canary", "stable"]);
    // Shadow copies finish on their own time; wait for the mirror to go idle before reading.
    const mirror = router.variant("mirror").model.engine;
    await eventually("the mirror has no request running or waiting", () => mirror.stats.numRunning === 0 && mirror.stats.numWaiting === 0);
    const metrics = await scrape(url);
    for (const variant of ["stable", "canary"]) {
      expect(metrics.value("inflight:request_success_total", {model_name: "chat", variant, finished_reason: "length"})).toBeGreaterThanOrEqual(seen.get(variant)!);
    }
    expect(metrics.value("inflight:shadow_requests_total", {model_name: "chat", variant: "mirror"})).toBeGreaterThan(0);
    expect(metrics.value("inflight:variant_traffic_share", {model_name: "chat", variant: "canary"})).toBe(0.5);
  });

  it("moves the stable user to the canary once an operator promotes it", async () => {
    const stableUser = userOn("stable");
    const response = await fetch(`${url}/admin/variants/canary`, {
      method: "POST",
      headers: {"content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}`},
      body: JSON.stringify({action: "promote"})
    });
    expect(response.status).toBe(200);
    expect((await ask(stableUser)).variant).toBe("canary");
    const snapshot = await (await fetch(`${url}/admin/variants`, {headers: {authorization: `Bearer ${ADMIN_KEY}`}})).json() as {models: {variants: {name: string; traffic_share: number}[]}[]};
    expect(snapshot.models[0]!.variants.map(({name, traffic_share}) => [name, traffic_share])).toEqual([["stable", 0], ["canary", 1], ["mirror", 0]]);
  });
});
