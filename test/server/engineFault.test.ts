/**
 * An engine fault in one request (the fake executor fails every request whose prompt holds a marker,
 * after it has produced a few tokens) fails that request alone: a 500 in OpenAI's error shape over
 * JSON, an error event then `[DONE]` over SSE, an error message with status 500 over the websocket,
 * while a request running beside it completes in full; the failed request's sequence is reset and
 * the next request runs on it.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {FinishedGenerationRecord} from "../../engine/types.ts";
import {complete} from "./completionClient.ts";
import {type FakeApp, startFakeApp} from "./fakeApp.ts";
import {WsTestClient} from "./wsClient.ts";

const PARALLEL = 2;
const MARKER = "qzqzqz";
const FAIL_AFTER_TOKENS = 3;
let server: FakeApp;
const finished: FinishedGenerationRecord[] = [];

beforeAll(async () => {
  server = await startFakeApp({
    numSequences: PARALLEL,
    sequenceCapacity: 4096,
    stepDelayMs: 2,
    failingPromptMarker: MARKER,
    failAfterTokens: FAIL_AFTER_TOKENS
  });
  server.model.engine.on("requestFinished", (record) => finished.push(record));
});

afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

const CHAT = "/v1/chat/completions";
const longRunning = {messages: [{role: "user", content: "keep going"}], max_tokens: 120, ignore_eos: true};
const failing = {messages: [{role: "user", content: `please ${MARKER}`}], max_tokens: 50, ignore_eos: true};

/** The sequence each request ran on, from the executor's record of every step. */
function sequenceOf(requestId: string): number {
  for (const step of server.model.executor.steps) {
    const entry = step.scheduled.find((scheduled) => scheduled.requestId === requestId);
    if (entry) return entry.sequenceIndex;
  }
  throw new Error(`${requestId} never ran`);
}

function lastFailedId(): string {
  const record = finished.findLast((candidate) => candidate.summary.finishReason === "error");
  if (!record) throw new Error("no request failed");
  return record.requestId;
}

describe("an engine fault during one request", () => {
  it("fails a JSON request with a 500 while its neighbour completes, and the next request reuses its sequence", async () => {
    const neighbour = complete(server.url, CHAT, longRunning);
    const response = await fetch(`${server.url}${CHAT}`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(failing)});
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({error: {message: expect.stringContaining("injected decode failure"), type: "server_error", param: null, code: "engine_error"}});
    const failedSequence = sequenceOf(lastFailedId());
    const next = await complete(server.url, CHAT, {messages: [{role: "user", content: "next"}], max_tokens: 4, ignore_eos: true});
    expect(next.status).toBe(200);
    expect(next.usage?.completion_tokens).toBe(4);
    // The neighbour still holds the other sequence, so the next request can only have run on the failed one's.
    expect(sequenceOf(next.id)).toBe(failedSequence);
    const done = await neighbour;
    expect(done).toMatchObject({status: 200, finishReason: "length"});
    expect(done.usage?.completion_tokens).toBe(longRunning.max_tokens);
    expect(sequenceOf(done.id)).not.toBe(failedSequence);
  });

  it("ends an SSE stream with the error event then [DONE], after the tokens it had", async () => {
    const neighbour = complete(server.url, CHAT, {...longRunning, stream: true});
    const response = await fetch(`${server.url}${CHAT}`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({...failing, stream: true})});
    expect(response.status).toBe(200);
    const events = (await response.text()).split("\n\n").filter((event) => event.length > 0).map((event) => event.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -2).map((event) => JSON.parse(event) as {choices: {delta: {content?: string}; finish_reason: string | null}[]});
    expect(chunks.filter((chunk) => chunk.choices[0]!.delta.content).length).toBe(FAIL_AFTER_TOKENS);
    expect(chunks.every((chunk) => chunk.choices[0]!.finish_reason === null)).toBe(true);
    expect(JSON.parse(events.at(-2)!)).toEqual({error: {message: expect.any(String), type: "server_error", param: null, code: "engine_error"}});
    const done = await neighbour;
    expect(done).toMatchObject({status: 200, finishReason: "length"});
    expect(done.usage).toBeNull();
    expect(done.text).toHaveLength(longRunning.max_tokens);
  });

  it("sends a websocket request's error with status 500 while another request on the socket completes", async () => {
    const client = await WsTestClient.open(server.url);
    try {
      client.send({request_id: "good", ...longRunning});
      client.send({request_id: "bad", ...failing});
      expect(await client.terminal("bad")).toMatchObject({type: "error", status: 500, error: {type: "server_error", code: "engine_error"}});
      expect(client.chunksOf("bad").filter((chunk) => chunk.choices?.[0]?.delta?.content)).toHaveLength(FAIL_AFTER_TOKENS);
      expect(await client.terminal("good")).toMatchObject({type: "done"});
      expect(client.textOf("good")).toHaveLength(longRunning.max_tokens);
    } finally {
      await client.close();
    }
  });

  it("leaves every sequence free and serves 2 x parallel requests afterwards", async () => {
    expect(server.model.engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: PARALLEL});
    const replies = await Promise.all(Array.from({length: 2 * PARALLEL}, (_, index) =>
      complete(server.url, CHAT, {messages: [{role: "user", content: `after ${index}`}], max_tokens: 3, ignore_eos: true, stream: index % 2 === 0})));
    expect(replies.map((reply) => reply.status)).toEqual(new Array(2 * PARALLEL).fill(200));
    expect(replies.map((reply) => reply.finishReason)).toEqual(new Array(2 * PARALLEL).fill("length"));
    expect(finished.filter((record) => record.summary.finishReason === "error")).toHaveLength(3);
  });
});
