/** CORS is off unless origins are configured; bodies past the limit get 413 in OpenAI's shape. */
import {afterAll, beforeAll, expect, it} from "vitest";
import {startFakeApp, type FakeApp} from "./fakeApp.ts";

let plain: FakeApp;
let withCors: FakeApp;

beforeAll(async () => {
  plain = await startFakeApp({app: {bodyLimitBytes: 2048}});
  withCors = await startFakeApp({app: {corsOrigins: ["http://ui.example"]}});
});

afterAll(async () => {
  await plain?.[Symbol.asyncDispose]();
  await withCors?.[Symbol.asyncDispose]();
});

it("sends no CORS headers by default, and the configured origin when asked", async () => {
  const headers = {origin: "http://ui.example"};
  expect((await fetch(`${plain.url}/v1/models`, {headers})).headers.get("access-control-allow-origin")).toBeNull();
  expect((await fetch(`${withCors.url}/v1/models`, {headers})).headers.get("access-control-allow-origin")).toBe("http://ui.example");
  const preflight = await fetch(`${withCors.url}/v1/chat/completions`, {method: "OPTIONS", headers: {...headers, "access-control-request-method": "POST"}});
  expect(preflight.status).toBeLessThan(300);
  expect((await fetch(`${withCors.url}/v1/models`, {headers: {origin: "http://evil.example"}})).headers.get("access-control-allow-origin")).toBeNull();
});

it("refuses a body over --max-body with 413 and keeps serving", async () => {
  const big = JSON.stringify({messages: [{role: "user", content: "x".repeat(4096)}], max_tokens: 1});
  const refused = await fetch(`${plain.url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: big});
  expect(refused.status).toBe(413);
  expect(await refused.json()).toMatchObject({error: {type: "invalid_request_error"}});
  const ok = await fetch(`${plain.url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({messages: [{role: "user", content: "hi"}], max_tokens: 1})});
  expect(ok.status).toBe(200);
});
