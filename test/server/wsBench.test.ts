/**
 * End to end: the bench's websocket transport (`bench/transport/wsTransport.ts`, an independent
 * client of the protocol) drives the real server over the fake model, and every request completes
 * with the token counts the server reports, as over SSE.
 */
import {afterEach, expect, it} from "vitest";
import {runLoad} from "../../bench/runLoad.ts";
import type {TransportKind} from "../../bench/types.ts";
import {type FakeApp, startFakeApp} from "./fakeApp.ts";

let server: FakeApp | undefined;
afterEach(async () => {
  await server?.[Symbol.asyncDispose]();
  server = undefined;
});

const NUM_REQUESTS = 8;
const OUTPUT_LEN = 12;

async function runOver(transport: TransportKind) {
  const report = await runLoad({
    target: {url: server!.url, model: "fake"},
    transport,
    workload: {kind: "concurrency", levels: [3]},
    numRequests: NUM_REQUESTS,
    warmupRequests: 2,
    dataset: {inputLen: 16, outputLen: OUTPUT_LEN},
    isIgnoreEos: true,
    timeoutMs: 20_000,
    isPerRequestKept: true
  });
  const figures = report.levels[0]!.servers[0]!;
  return {report, figures};
}

it("serves the bench's websocket transport like its SSE one", async () => {
  server = await startFakeApp({numSequences: 2, sequenceCapacity: 4096, stepDelayMs: 2});
  const ws = await runOver("ws");
  expect(ws.report.notes.filter((note) => note.includes("failed"))).toEqual([]);
  expect(ws.figures).toMatchObject({sent: NUM_REQUESTS, completed: NUM_REQUESTS, failed: 0, tokenizerCountedRequests: 0});
  expect(ws.figures.totalOutputTokens).toBe(NUM_REQUESTS * OUTPUT_LEN);
  const results = ws.report.rounds[0]!.requests!;
  expect(results.every((result) => result.outputTokensSource === "usage" && result.contentChunks === OUTPUT_LEN)).toBe(true);
  expect(results.every((result) => result.ttftMs !== undefined && result.itlMs.length === OUTPUT_LEN - 1)).toBe(true);

  const sse = await runOver("sse");
  expect(sse.figures).toMatchObject({completed: NUM_REQUESTS, totalOutputTokens: ws.figures.totalOutputTokens});
  expect(sse.figures.totalPromptTokens).toBe(ws.figures.totalPromptTokens);
});
