/**
 * The chat websocket (`/v1/chat/completions/ws`) over the real server and engine loop with a fake
 * executor: two requests multiplexed on one socket stream the same chunks as SSE, tagged and complete,
 * and their text equals the non-streaming answer for the same seed; a cancel frees the sequence at
 * once; malformed messages get error messages on a socket that stays usable; closing the socket
 * mid-stream ends every request on it (and each is counted and logged as a client that left).
 */
import {afterEach, describe, expect, it} from "vitest";
import WebSocket from "ws";
import type {StepRecord} from "../../engine/types.ts";
import {eventually} from "../utils/eventually.ts";
import {complete} from "./completionClient.ts";
import {type FakeApp, startFakeApp} from "./fakeApp.ts";
import {scrape} from "./scrape.ts";
import {type WsMessage, WsTestClient} from "./wsClient.ts";

const PARALLEL = 2;
const WS_ROUTE = "/v1/chat/completions/ws";

let server: FakeApp | undefined;
let client: WsTestClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await server?.[Symbol.asyncDispose]();
  server = undefined;
});

interface LogLine {
  readonly msg: string;
  readonly [key: string]: unknown;
}

async function start(options: {stepDelayMs?: number} = {}) {
  const lines: LogLine[] = [];
  server = await startFakeApp({
    numSequences: PARALLEL,
    sequenceCapacity: 4096,
    stepDelayMs: options.stepDelayMs ?? 3,
    app: {logger: {level: "info", stream: {write: (line: string) => { lines.push(JSON.parse(line) as LogLine); }}}}
  });
  const steps: StepRecord[] = [];
  server.model.engine.on("step", (record) => steps.push(record));
  client = await WsTestClient.open(server.url);
  return {server, client, steps, lines};
}

const chat = (content: string, fields: Record<string, unknown> = {}) => ({
  messages: [{role: "user", content}],
  stream_options: {include_usage: true},
  ...fields
});

/** The completion id (also the engine's request id) of a websocket request, from its first chunk. */
const completionIdOf = (ws: WsTestClient, requestId: string): string => ws.chunksOf(requestId)[0]!.id!;

describe("chat websocket", () => {
  it("multiplexes two requests: separately tagged, complete streams equal to the non-streaming answers", async () => {
    const {server, client} = await start();
    const bodies = {a: chat("tell me about cats", {seed: 7, temperature: 1, max_tokens: 40}),
      b: chat("and about dogs", {seed: 11, temperature: 1, max_tokens: 30})};
    client.send({request_id: "a", ...bodies.a});
    client.send({request_id: "b", ...bodies.b});
    const [doneA, doneB] = await Promise.all([client.terminal("a"), client.terminal("b")]);

    // Nothing untagged, nothing for another id; and the two streams really interleaved on the socket.
    expect(client.received.every((message) => message.request_id === "a" || message.request_id === "b")).toBe(true);
    const order = client.received.map((message) => message.request_id);
    const switches = order.slice(1).filter((id, index) => id !== order[index]).length;
    expect(switches).toBeGreaterThan(10);

    for (const [requestId, maxTokens, done] of [["a", 40, doneA], ["b", 30, doneB]] as const) {
      const messages = client.messagesOf(requestId);
      const chunks = client.chunksOf(requestId);
      // The SSE sequence: role, content deltas, finish_reason, usage (with timings), then "done" last.
      expect(messages.at(-1)).toBe(done);
      expect(chunks.length).toBe(messages.length - 1);
      expect(chunks[0]!.choices![0]!.delta).toEqual({role: "assistant", content: ""});
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
      expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk")).toBe(true);
      const finish = chunks.at(-2)!;
      expect(finish.choices![0]!.finish_reason).toBe("length");
      const usageChunk = chunks.at(-1)!;
      expect(usageChunk.choices).toEqual([]);
      expect(usageChunk.usage).toMatchObject({completion_tokens: maxTokens});
      expect(usageChunk.timings).toMatchObject({generated_tokens: maxTokens});
      expect(done).toEqual({request_id: requestId, type: "done", usage: usageChunk.usage});
      expect(chunks.slice(1, -2).every((chunk) => (chunk.choices![0]!.delta!.content ?? "").length > 0)).toBe(true);

      const whole = await complete(server.url, "/v1/chat/completions", bodies[requestId]);
      expect(whole.status).toBe(200);
      expect(client.textOf(requestId)).toBe(whole.text);
      expect(whole.text.length).toBe(maxTokens);
    }
    expect(completionIdOf(client, "a")).not.toBe(completionIdOf(client, "b"));
  });

  it("frees the sequence on cancel: the next requests run with the whole --parallel capacity", async () => {
    const {server, client, steps} = await start();
    const engine = server.model.engine;
    for (const id of ["long-1", "long-2"]) client.send({request_id: id, ...chat(`go on ${id}`, {max_tokens: 3000, ignore_eos: true})});
    await client.contentChunks("long-1", 3);
    await client.contentChunks("long-2", 3);
    expect(engine.stats).toMatchObject({numRunning: 2, numFreeSequences: 0});
    const cancelledIds = [completionIdOf(client, "long-1"), completionIdOf(client, "long-2")];

    for (const id of ["long-1", "long-2"]) client.send({type: "cancel", request_id: id});
    const terminals = await Promise.all([client.terminal("long-1"), client.terminal("long-2")]);
    for (const terminal of terminals) {
      expect(terminal).toMatchObject({type: "done", cancelled: true});
      const usage = terminal.usage as {completion_tokens: number};
      expect(usage.completion_tokens).toBeGreaterThanOrEqual(3);
      expect(usage.completion_tokens).toBeLessThan(3000);
    }
    // "done" comes once the engine has ended the request: its sequence is already free.
    expect(engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: PARALLEL});
    const stepsAtCancel = steps.length;

    for (const id of ["next-1", "next-2"]) client.send({request_id: id, ...chat(`short ${id}`, {max_tokens: 5})});
    const next = await Promise.all([client.terminal("next-1"), client.terminal("next-2")]);
    expect(next.map((message) => (message.usage as {completion_tokens: number}).completion_tokens)).toEqual([5, 5]);
    const nextIds = [completionIdOf(client, "next-1"), completionIdOf(client, "next-2")];
    const later = steps.slice(stepsAtCancel);
    expect(later.some((step) => nextIds.every((id) => step.entries.some((entry) => entry.requestId === id)))).toBe(true);
    expect(later.some((step) => step.entries.some((entry) => cancelledIds.includes(entry.requestId)))).toBe(false);
    // Nothing more of the cancelled requests after their "done".
    for (const id of ["long-1", "long-2"]) expect(client.messagesOf(id).at(-1)?.type).toBe("done");
  });

  it("cancels a queued request at once, without it ever running", async () => {
    const {server, client, steps} = await start();
    for (const id of ["busy-1", "busy-2", "queued"]) client.send({request_id: id, ...chat(id, {max_tokens: 3000})});
    await client.contentChunks("busy-1", 1);
    await client.contentChunks("busy-2", 1);
    expect(server.model.engine.stats).toMatchObject({numRunning: 2, numWaiting: 1});
    const queuedId = completionIdOf(client, "queued");
    client.send({type: "cancel", request_id: "queued"});
    expect(await client.terminal("queued")).toMatchObject({type: "done", cancelled: true, usage: {completion_tokens: 0}});
    // "At once": its end came while both requests ahead of it still hold their sequences.
    expect(server.model.engine.stats).toMatchObject({numRunning: 2, numWaiting: 0});
    expect(["busy-1", "busy-2"].map((id) => client.messagesOf(id).some((message) => message.type !== undefined))).toEqual([false, false]);
    expect(steps.some((step) => step.entries.some((entry) => entry.requestId === queuedId))).toBe(false);
    expect(client.textOf("queued")).toBe("");
  });

  it("answers malformed messages with error messages and keeps the socket usable", async () => {
    const {client} = await start();
    const untagged = async (count: number): Promise<WsMessage> => {
      await client.until(() => (client.messagesOf(null).length >= count ? true : undefined));
      return client.messagesOf(null)[count - 1]!;
    };
    client.send("this is not json");
    expect(await untagged(1)).toMatchObject({type: "error", status: 400, error: {code: "invalid_json", type: "invalid_request_error"}});
    client.send("[1, 2, 3]");
    expect(await untagged(2)).toMatchObject({type: "error", error: {code: "invalid_message"}});
    client.send(chat("no id"));
    expect(await untagged(3)).toMatchObject({type: "error", error: {code: "invalid_request_id", param: "request_id"}});
    client.send({request_id: 42, ...chat("numeric id")});
    expect(await untagged(4)).toMatchObject({type: "error", error: {code: "invalid_request_id"}});

    client.send({request_id: "empty", messages: []});
    expect(await client.terminal("empty")).toMatchObject({type: "error", status: 400, error: {param: "messages", code: "invalid_value"}});
    client.send({request_id: "role", messages: [{role: "robot", content: "beep"}]});
    expect(await client.terminal("role")).toMatchObject({type: "error", error: {param: "messages[0].role"}});
    client.send({request_id: "kind", type: "shout"});
    expect(await client.terminal("kind")).toMatchObject({type: "error", error: {param: "type", code: "invalid_message_type"}});
    client.send({request_id: "model", ...chat("hi", {model: "no-such-model"})});
    expect(await client.terminal("model")).toMatchObject({type: "error", status: 404, error: {code: "model_not_found", param: "model"}});
    client.send({request_id: "long", ...chat("hi", {max_tokens: 3000})});
    client.send({request_id: "long", ...chat("again", {max_tokens: 3000})});
    expect(await client.terminal("long")).toMatchObject({type: "error", error: {code: "duplicate_request_id", param: "request_id"}});
    // The first "long" is untouched by its duplicate: it streams on until cancelled.
    await client.contentChunks("long", 2);
    client.send({type: "cancel", request_id: "long"});
    await client.until(() => client.messagesOf("long").find((message) => message.type === "done"));
    // A cancel of an unknown id is ignored (it may race with the request's own end).
    client.send({type: "cancel", request_id: "never-sent"});

    client.send({request_id: "ok", ...chat("still there?", {max_tokens: 6})});
    expect(await client.terminal("ok")).toMatchObject({type: "done", usage: {completion_tokens: 6}});
    expect(client.textOf("ok")).toHaveLength(6);
    expect(client.messagesOf("never-sent")).toEqual([]);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it("ends every request of a socket that closes mid-stream, and reports them as clients that left", async () => {
    const {server, client, steps, lines} = await start();
    const engine = server.model.engine;
    for (const id of ["one", "two", "three"]) client.send({request_id: id, ...chat(`stream ${id}`, {max_tokens: 3000})});
    await client.contentChunks("one", 3);
    await client.contentChunks("two", 3);
    // Two sequences: the third request waits in the queue.
    expect(engine.stats).toMatchObject({numRunning: 2, numWaiting: 1});
    const runningIds = [completionIdOf(client, "one"), completionIdOf(client, "two")];
    // The role chunk is sent at once, before the request runs: it names the queued request's id too.
    const queuedId = completionIdOf(client, "three");
    client.socket.terminate();

    await eventually("the engine is idle", () => engine.stats.numRunning === 0 && engine.stats.numWaiting === 0);
    expect(engine.stats.numFreeSequences).toBe(PARALLEL);
    const stepsAfterClose = steps.length;
    expect(runningIds.every((id) => steps.some((step) => step.entries.some((entry) => entry.requestId === id)))).toBe(true);
    // Taken out of the queue, not run once a sequence came free.
    expect(steps.some((step) => step.entries.some((entry) => entry.requestId === queuedId))).toBe(false);

    const finished = (): LogLine[] => lines.filter((line) => line.msg === "request finished");
    await eventually("three request lines", () => finished().length === 3);
    expect(finished().map((line) => line.clientRequestId).sort()).toEqual(["one", "three", "two"]);
    for (const line of finished()) expect(line).toMatchObject({status: 499, finishReason: "abort", model: "fake", variant: "default"});
    const metrics = await scrape(server.url);
    const http = (status: string) => metrics.value("inflight:http_requests_total", {route: WS_ROUTE, status_code: status});
    expect(http("499")).toBe(3);
    expect(http("101")).toBe(1);
    expect(metrics.value("inflight:request_success_total", {finished_reason: "abort"})).toBe(3);

    // Nothing of the closed socket runs again: every step since the engine went idle belongs to a
    // request sent afterwards, up to its end.
    const later = await complete(server.url, "/v1/chat/completions", chat("after the close", {max_tokens: 3}));
    expect(later.status).toBe(200);
    const stepsSinceClose = steps.slice(stepsAfterClose);
    expect(stepsSinceClose.length).toBeGreaterThan(0);
    expect(stepsSinceClose.map((step) => [...new Set(step.entries.map((entry) => entry.requestId))])).toEqual(stepsSinceClose.map(() => [later.id]));
  });

  it("counts and logs each websocket request like an HTTP one", async () => {
    const {server, client, lines} = await start();
    client.send({request_id: "fine", ...chat("hello", {max_tokens: 4})});
    client.send({request_id: "broken", messages: []});
    await Promise.all([client.terminal("fine"), client.terminal("broken")]);
    await eventually("the finished line", () => lines.some((line) => line.msg === "request finished"));
    expect(lines.find((line) => line.msg === "request finished")).toMatchObject({
      clientRequestId: "fine", completionId: completionIdOf(client, "fine"), status: 200, finishReason: "length", timings: {generated_tokens: 4}
    });
    expect(lines.find((line) => line.msg === "request rejected")).toMatchObject({clientRequestId: "broken", status: 400});
    const metrics = await scrape(server.url);
    expect(metrics.value("inflight:http_requests_total", {route: WS_ROUTE, status_code: "200", model_name: "fake"})).toBe(1);
    expect(metrics.value("inflight:http_requests_total", {route: WS_ROUTE, status_code: "400", model_name: ""})).toBe(1);
  });

  it("closes the socket (1009) on a message over the body limit, as an oversized body is refused", async () => {
    server = await startFakeApp({app: {bodyLimitBytes: 1024}});
    client = await WsTestClient.open(server.url);
    const closed = new Promise<number>((resolve) => client!.socket.once("close", resolve));
    client.send({request_id: "big", ...chat("x".repeat(2048))});
    expect(await closed).toBe(1009);
  });

  it("answers a plain GET (no upgrade) with 426 in OpenAI's error shape", async () => {
    const {server} = await start();
    const response = await fetch(`${server.url}${WS_ROUTE}`);
    expect(response.status).toBe(426);
    expect(await response.json()).toMatchObject({error: {code: "upgrade_required"}});
  });
});
