/**
 * --request-timeout over HTTP: a request that timed out while waiting gets 504 in OpenAI's error
 * shape; one that timed out while generating ends normally with what it had (finish_reason length).
 */
import {afterAll, beforeAll, expect, it} from "vitest";
import {startFakeApp, type FakeApp} from "./fakeApp.ts";

let app: FakeApp;

beforeAll(async () => {
  // Steps of 80 ms: two requests sent together reach their deadlines within the same step.
  app = await startFakeApp({numSequences: 1, stepDelayMs: 80, requestTimeoutMs: 400});
});

afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
});

function chat(maxTokens: number) {
  return fetch(`${app.url}/v1/chat/completions`, {
    method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({messages: [{role: "user", content: "hi"}], max_tokens: maxTokens, ignore_eos: true})
  });
}

it("answers 504 to a request that timed out waiting, and a partial completion to the running one", async () => {
  // Sent together: one takes the only sequence, the other waits; both deadlines pass in one step.
  const replies = await Promise.all([chat(200), chat(200)]);
  const waiting = replies.find((reply) => reply.status !== 200) ?? replies[1]!;
  const running = replies.find((reply) => reply !== waiting)!;
  expect(waiting.status).toBe(504);
  expect(await waiting.json()).toMatchObject({error: {code: "timeout", type: "server_error"}});
  expect(running.status).toBe(200);
  const body = (await running.json()) as {choices: {finish_reason: string}[]; usage: {completion_tokens: number}};
  expect(body.choices[0]!.finish_reason).toBe("length");
  expect(body.usage.completion_tokens).toBeGreaterThan(0);
  expect(body.usage.completion_tokens).toBeLessThan(200);
  expect(app.model.engine.stats).toMatchObject({numRunning: 0, numWaiting: 0});
});
