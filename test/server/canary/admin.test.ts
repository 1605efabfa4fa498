/**
 * The admin API: off (404) without an admin key; with one, 401 for a missing, malformed or wrong key;
 * GET shows weights, shares and windows; POST changes weights, promotes and rolls back at once, for the
 * next requests, without dropping a request in flight.
 */
import {afterEach, describe, expect, it} from "vitest";
import {isAdminKeyValid} from "../../../server/routes/admin.ts";
import {type CanaryApp, chat, startCanaryApp} from "./canaryApp.ts";

const ADMIN_KEY = "s3cret-admin-key";
const apps: CanaryApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app[Symbol.asyncDispose]();
});

async function start(adminKey: string | undefined, options: {stepDelayMs?: number; isListening?: boolean} = {}): Promise<CanaryApp> {
  const fake = {numSequences: 4, stepDelayMs: options.stepDelayMs};
  const started = await startCanaryApp({
    variants: [{name: "stable", initialWeight: 90, fake}, {name: "canary", initialWeight: 10, fake}, {name: "mirror", shadowRate: 0.5, fake}],
    app: {adminKey, metrics: null},
    isListening: options.isListening
  });
  apps.push(started);
  return started;
}

const auth = (key: string) => ({authorization: `Bearer ${key}`});

describe("access", () => {
  it("is off without an admin key: every /admin path is a 404", async () => {
    const {app} = await start(undefined);
    expect((await app.inject({method: "GET", url: "/admin/variants", headers: auth(ADMIN_KEY)})).statusCode).toBe(404);
    expect((await app.inject({method: "POST", url: "/admin/variants/canary", headers: auth(ADMIN_KEY), payload: {action: "promote"}})).statusCode).toBe(404);
  });

  it("refuses requests without the key, with a malformed header, or with a wrong key (401)", async () => {
    const {app, router} = await start(ADMIN_KEY);
    for (const headers of [{}, {authorization: ADMIN_KEY}, {authorization: "Basic czNjcmV0"}, auth("wrong"), auth(`${ADMIN_KEY}x`), auth("")]) {
      const response = await app.inject({method: "GET", url: "/admin/variants", headers});
      expect(response.statusCode).toBe(401);
      expect(response.headers["www-authenticate"]).toBe("Bearer");
      expect(response.json()).toMatchObject({error: {type: "authentication_error", code: "invalid_admin_key"}});
      const post = await app.inject({method: "POST", url: "/admin/variants/canary", headers, payload: {action: "promote"}});
      expect(post.statusCode).toBe(401);
    }
    expect(router.shareOf("canary")).toBeCloseTo(0.1, 5);
  });

  it("compares keys of any length", () => {
    expect(isAdminKeyValid(`Bearer ${ADMIN_KEY}`, ADMIN_KEY)).toBe(true);
    expect(isAdminKeyValid(`bearer ${ADMIN_KEY}`, ADMIN_KEY)).toBe(true);
    expect(isAdminKeyValid("Bearer short", ADMIN_KEY)).toBe(false);
    expect(isAdminKeyValid(`Bearer ${"x".repeat(1000)}`, ADMIN_KEY)).toBe(false);
    expect(isAdminKeyValid(undefined, ADMIN_KEY)).toBe(false);
  });
});

describe("with the key", () => {
  it("lists variants with weights, shares, roles and window metrics", async () => {
    const {app} = await start(ADMIN_KEY);
    for (let index = 0; index < 20; index++) await chat(app, {user: `u${index}`});
    const response = await app.inject({method: "GET", url: "/admin/variants", headers: auth(ADMIN_KEY)});
    expect(response.statusCode).toBe(200);
    const [model] = (response.json() as {models: {model: string; variants: {name: string; role: string; weight: number; traffic_share: number; window: {samples: number}}[]}[]}).models;
    expect(model!.model).toBe("chat");
    expect(model!.variants.map(({name, role, weight, traffic_share}) => ({name, role, weight, traffic_share}))).toEqual([
      {name: "stable", role: "primary", weight: 90, traffic_share: 0.9},
      {name: "canary", role: "canary", weight: 10, traffic_share: 0.1},
      {name: "mirror", role: "shadow", weight: 0, traffic_share: 0}
    ]);
    expect(model!.variants[0]!.window.samples + model!.variants[1]!.window.samples).toBe(20);
  });

  it("sets weights, promotes and rolls back for the next requests", async () => {
    const {app} = await start(ADMIN_KEY);
    const variantsOf = async () => (await Promise.all(Array.from({length: 40}, (_, index) => chat(app, {user: `user-${index}`})))).map((answer) => answer.variant);
    const post = (name: string, payload: object) => app.inject({method: "POST", url: `/admin/variants/${name}`, headers: auth(ADMIN_KEY), payload});

    expect((await post("canary", {action: "promote"})).statusCode).toBe(200);
    expect(new Set(await variantsOf())).toEqual(new Set(["canary"]));

    const rolledBack = await post("canary", {action: "rollback"});
    expect(rolledBack.statusCode).toBe(200);
    expect((rolledBack.json() as {variants: {name: string; is_rolled_back: boolean}[]}).variants[1]).toMatchObject({name: "canary", is_rolled_back: true});
    expect(new Set(await variantsOf())).toEqual(new Set(["stable"]));

    expect((await post("stable", {action: "set_weight", weight: 50})).statusCode).toBe(200);
    expect((await post("canary", {action: "set_weight", weight: 50})).statusCode).toBe(200);
    expect(new Set(await variantsOf())).toEqual(new Set(["stable", "canary"]));
  });

  it("answers bad actions with OpenAI-shaped client errors", async () => {
    const {app} = await start(ADMIN_KEY);
    const post = (name: string, payload: object) => app.inject({method: "POST", url: `/admin/variants/${name}`, headers: auth(ADMIN_KEY), payload});
    expect((await post("nope", {action: "promote"})).statusCode).toBe(404);
    expect((await post("stable", {action: "rollback"})).statusCode).toBe(400);
    expect((await post("mirror", {action: "set_weight", weight: 5})).statusCode).toBe(400);
    expect((await post("canary", {action: "start_rollout"})).statusCode).toBe(400);
    const invalid = await post("canary", {action: "set_weight", weight: -1});
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({error: {param: "weight"}});
  });

  it("does not drop a request in flight on the variant it takes traffic from", async () => {
    const {app, url} = await start(ADMIN_KEY, {stepDelayMs: 20, isListening: true});
    // Find a user on the canary, start a long stream there, then roll the canary back mid-stream.
    const user = Array.from({length: 200}, (_, index) => `user-${index}`).find((candidate) => apps[0]!.router.assign({user: candidate}).variant.name === "canary")!;
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify({model: "chat", user, messages: [{role: "user", content: "hi"}], max_tokens: 15, ignore_eos: true, stream: true})
    });
    expect(response.headers.get("x-model-variant")).toBe("canary");
    const rolledBack = await app.inject({method: "POST", url: "/admin/variants/canary", headers: auth(ADMIN_KEY), payload: {action: "rollback"}});
    expect(rolledBack.statusCode).toBe(200);
    const text = await response.text();
    const contents = text.split("\n\n").filter((event) => event.startsWith("data: {")).map((event) => JSON.parse(event.slice(6)) as {choices: {delta: {content?: string}; finish_reason: string | null}[]});
    expect(contents.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toHaveLength(15);
    expect(contents.at(-1)!.choices[0]!.finish_reason).toBe("length");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect((await chat(app, {user})).variant).toBe("stable");
  });
});
