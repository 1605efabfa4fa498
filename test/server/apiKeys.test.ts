/**
 * API keys: /v1/* (HTTP and the websocket upgrade) needs a right Bearer key; missing and wrong keys
 * get 401 in OpenAI's shape; probes stay public unless protected; keys are compared in constant time.
 */
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, beforeAll, describe, expect, it, vi} from "vitest";
import * as crypto from "node:crypto";
import {isBearerKeyValid} from "../../server/auth/bearer.ts";
import {readApiKeyFile} from "../../server/auth/apiKeyAuth.ts";
import {WebSocket} from "ws";
import {startFakeApp, type FakeApp} from "./fakeApp.ts";

vi.mock("node:crypto", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:crypto")>();
  return {...original, timingSafeEqual: vi.fn(original.timingSafeEqual)};
});

let open: FakeApp;
let guarded: FakeApp;
const folder = mkdtempSync(join(tmpdir(), "inflight-keys-"));

beforeAll(async () => {
  open = await startFakeApp({app: {apiKeys: {keys: ["key-one", "key-two"], isObservabilityProtected: false}}});
  guarded = await startFakeApp({app: {apiKeys: {keys: ["key-one"], isObservabilityProtected: true}}});
});

afterAll(async () => {
  await open?.[Symbol.asyncDispose]();
  await guarded?.[Symbol.asyncDispose]();
  rmSync(folder, {recursive: true, force: true});
});

function chat(url: string, authorization?: string) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: {"content-type": "application/json", ...(authorization ? {authorization} : {})},
    body: JSON.stringify({messages: [{role: "user", content: "hi"}], max_tokens: 2})
  });
}

describe("API keys", () => {
  it("refuses a missing key and a wrong key with 401 in OpenAI's shape", async () => {
    for (const authorization of [undefined, "Bearer nope", "key-one", "Basic key-one"]) {
      const response = await chat(open.url, authorization);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({error: {type: "authentication_error", code: "invalid_api_key", param: null}});
    }
  });

  it("accepts each configured key", async () => {
    expect((await chat(open.url, "Bearer key-one")).status).toBe(200);
    expect((await chat(open.url, "Bearer key-two")).status).toBe(200);
  });

  it("protects every /v1 route, including the websocket upgrade", async () => {
    expect((await fetch(`${open.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${open.url}/v1/stats`)).status).toBe(401);
    const upgradeStatus = (authorization?: string) => new Promise<number>((resolve) => {
      const socket = new WebSocket(`${open.url.replace("http", "ws")}/v1/chat/completions/ws`, {headers: authorization ? {authorization} : {}});
      socket.on("unexpected-response", (request, response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      socket.on("error", () => {});
      socket.on("open", () => {
        socket.close();
        resolve(101);
      });
    });
    expect(await upgradeStatus()).toBe(401);
    expect(await upgradeStatus("Bearer key-two")).toBe(101);
  });

  it("leaves probes public unless told to protect them", async () => {
    for (const path of ["/health", "/ready", "/metrics"]) expect((await fetch(`${open.url}${path}`)).status).toBe(200);
    for (const path of ["/health", "/ready", "/metrics"]) expect((await fetch(`${guarded.url}${path}`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/health`, {headers: {authorization: "Bearer key-one"}})).status).toBe(200);
  });

  it("compares with timingSafeEqual against every key", () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    expect(isBearerKeyValid("Bearer b", ["a", "b", "c"])).toBe(true);
    expect(spy).toHaveBeenCalledTimes(3);
    expect(isBearerKeyValid("Bearer z", ["a", "b", "c"])).toBe(false);
    expect(isBearerKeyValid(undefined, ["a"])).toBe(false);
  });

  it("reads a key file, one key per line, skipping blanks and comments", () => {
    const path = join(folder, "keys.txt");
    writeFileSync(path, "# team keys\nalpha\n\n  beta  \n#gamma\n");
    expect(readApiKeyFile(path)).toEqual(["alpha", "beta"]);
  });
});
