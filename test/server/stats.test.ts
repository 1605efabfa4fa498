/**
 * `GET /v1/stats`, the live panel's source: running and waiting requests and KV usage while requests
 * run, the prefix cache's hit rate (the same counts as /metrics), and finished requests per variant.
 */
import {afterEach, expect, it} from "vitest";
import {buildApp} from "../../server/app.ts";
import {ModelRegistry} from "../../server/ModelRegistry.ts";
import {eventually} from "../utils/eventually.ts";
import {createFakeServedModel} from "../utils/fakeServedModel.ts";
import {complete} from "./completionClient.ts";
import {type FakeApp, startFakeApp} from "./fakeApp.ts";
import {scrape} from "./scrape.ts";
import {WsTestClient} from "./wsClient.ts";

interface ModelStats {
  model: string;
  running: number;
  waiting: number;
  parallel: number;
  kv_cache_usage: number;
  prefix_cache: {queried_tokens: number; hit_tokens: number; hit_rate: number | null};
  variants: {variant: string; finished_requests: number; share: number | null}[];
}

let server: FakeApp | undefined;
afterEach(async () => {
  await server?.[Symbol.asyncDispose]();
  server = undefined;
});

async function stats(): Promise<ModelStats> {
  const response = await fetch(`${server!.url}/v1/stats`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as {object: string; models: ModelStats[]};
  expect(body.object).toBe("stats");
  return body.models[0]!;
}

it("reports load, KV usage, prefix hits and the variant split", async () => {
  server = await startFakeApp({numSequences: 2, sequenceCapacity: 4096, stepDelayMs: 3});
  expect(await stats()).toEqual({
    model: "fake", running: 0, waiting: 0, parallel: 2, kv_cache_usage: 0,
    prefix_cache: {queried_tokens: 0, hit_tokens: 0, hit_rate: null},
    variants: [{variant: "default", finished_requests: 0, share: null}]
  });

  const client = await WsTestClient.open(server.url);
  for (const id of ["one", "two", "three"]) client.send({request_id: id, messages: [{role: "user", content: id}], max_tokens: 3000});
  const busy = await eventually("two requests running", async () => {
    const reading = await stats();
    return reading.running >= 2 && reading;
  });
  expect(busy).toMatchObject({running: 2, waiting: 1});
  expect(busy.kv_cache_usage).toBeGreaterThan(0);
  client.socket.terminate();

  const messages = [{role: "user", content: "a shared question"}];
  const first = await complete(server.url, "/v1/chat/completions", {messages, max_tokens: 4});
  await complete(server.url, "/v1/chat/completions", {messages: [...messages, {role: "assistant", content: first.text}, {role: "user", content: "more"}], max_tokens: 4});
  // The closed socket's requests end at the engine's next step boundary.
  const idle = await eventually("no request running or waiting", async () => {
    const reading = await stats();
    return reading.running + reading.waiting === 0 && reading;
  });
  expect(idle).toMatchObject({running: 0, waiting: 0, kv_cache_usage: 0});
  const metrics = await scrape(server.url);
  const labels = {model_name: "fake", variant: "default"};
  expect(idle.prefix_cache.hit_tokens).toBeGreaterThan(0);
  expect(idle.prefix_cache.hit_tokens).toBe(metrics.value("inflight:prefix_cache_hits_total", labels));
  expect(idle.prefix_cache.queried_tokens).toBe(metrics.value("inflight:prefix_cache_queries_total", labels));
  expect(idle.prefix_cache.hit_rate).toBeCloseTo(idle.prefix_cache.hit_tokens / idle.prefix_cache.queried_tokens, 10);
  // The three aborted requests and the two complete ones.
  expect(idle.variants).toEqual([{variant: "default", finished_requests: 5, share: 1}]);
});

it("lists no model while loading, and does not count what ran before", async () => {
  const model = createFakeServedModel("fake");
  const registry = new ModelRegistry();
  registry.add(model);
  const app = buildApp({registry, metrics: null});
  try {
    expect((await app.inject({method: "GET", url: "/v1/stats"})).json()).toEqual({object: "stats", models: []});
    // A warm-up before the server is ready is not traffic.
    await model.engine.warmUp([1, 2, 3]);
    registry.markReady();
    const ready = (await app.inject({method: "GET", url: "/v1/stats"})).json() as {models: ModelStats[]};
    expect(ready.models[0]!.variants).toEqual([{variant: "default", finished_requests: 0, share: null}]);
  } finally {
    await app.close();
    await registry[Symbol.asyncDispose]();
  }
});
