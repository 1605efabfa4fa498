/**
 * What the engine reports to observers, on a manual clock where every decode step takes exactly
 * 10 ms: per-token timings in step records (time to first token, inter-token gaps), one
 * "requestFinished" record per request with the same summary its stream got, the summary's timings,
 * KV usage, the warm-up, and `whenDone()` after a reader left.
 */
import {describe, expect, it} from "vitest";
import {FAKE_EOG_TOKEN, type FakeExecutorOptions} from "../utils/FakeExecutor.ts";
import {createFakeEngine, fakeRequest} from "../utils/fakeEngine.ts";

const STEP_MS = 10;

/** An engine whose clock only moves while the executor runs a step, by STEP_MS per step. */
function createTimedEngine(options: FakeExecutorOptions = {}) {
  let nowMs = 1000;
  const fake = createFakeEngine({...options, clock: () => nowMs});
  const executeStep = fake.executor.executeStep.bind(fake.executor);
  fake.executor.executeStep = async (output, plans) => {
    nowMs += STEP_MS;
    return executeStep(output, plans);
  };
  return {...fake, now: () => nowMs};
}

const request = (id: string, overrides: Parameters<typeof fakeRequest>[1] = {}) => fakeRequest(id, {seed: 7, maxTokens: 5, ...overrides});

describe("engine records", () => {
  it("times each token: TTFT on the first, the gap since the previous one after", async () => {
    const {engine, steps, now} = createTimedEngine();
    const {summary} = await engine.submit(request("a", {arrivalMs: now() - 3})).collect();
    const entries = steps.flatMap((step) => step.entries);
    expect(entries.map((entry) => entry.numOutputTokens)).toEqual([1, 1, 1, 1, 1]);
    expect(entries.map((entry) => entry.timeToFirstTokenMs)).toEqual([STEP_MS + 3, null, null, null, null]);
    expect(entries.map((entry) => entry.interTokenLatencyMs)).toEqual([null, STEP_MS, STEP_MS, STEP_MS, STEP_MS]);
    expect(entries.every((entry) => entry.variant === "default")).toBe(true);
    expect(summary.timings).toEqual({
      queueMs: 3,
      promptMs: STEP_MS,
      timeToFirstTokenMs: STEP_MS + 3,
      timePerOutputTokenMs: STEP_MS,
      totalMs: 5 * STEP_MS + 3
    });
  });

  it("gives a one-token request no time per output token, and a prefill in chunks its whole time as promptMs", async () => {
    const {engine} = createTimedEngine({batchSize: 4});
    const single = await engine.submit(request("one", {maxTokens: 1})).collect();
    expect(single.summary.timings.timePerOutputTokenMs).toBeNull();
    // 10 prompt tokens (none cached), 4 per step: three steps before the first token.
    const chunked = await engine.submit(request("chunked", {promptTokens: [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], maxTokens: 2})).collect();
    expect(chunked.summary.timings).toMatchObject({promptMs: 3 * STEP_MS, timeToFirstTokenMs: 3 * STEP_MS});
  });

  it("emits one requestFinished record per request, with its variant and the summary its stream got", async () => {
    const {engine, finished, now} = createTimedEngine({numSequences: 1});
    const arrivalMs = now();
    const results = await Promise.all([
      engine.submit(request("first", {variant: "canary", arrivalMs})).collect(),
      engine.submit(request("second", {arrivalMs})).collect()
    ]);
    expect(finished.map((record) => [record.requestId, record.variant])).toEqual([["first", "canary"], ["second", "default"]]);
    expect(finished.map((record) => record.summary)).toEqual(results.map((result) => result.summary));
    // The second waited for the first's five steps.
    expect(finished[1]!.summary.timings.queueMs).toBe(5 * STEP_MS);
  });

  it("counts only kept tokens: the end-of-generation token is neither output nor timed", async () => {
    const forcedToken = (_id: string, position: number) => (position === 2 ? FAKE_EOG_TOKEN : undefined);
    const {engine, steps, finished} = createTimedEngine({forcedToken});
    await engine.submit(request("eog", {maxTokens: 8})).collect();
    const entries = steps.flatMap((step) => step.entries);
    expect(entries.map((entry) => entry.numOutputTokens)).toEqual([1, 1, 0]);
    expect(entries.at(-1)!.interTokenLatencyMs).toBeNull();
    expect(finished[0]!.summary).toMatchObject({finishReason: "stop", numOutputTokens: 2});
  });

  it("reports KV usage from the KV ledger: blocks running requests hold over all sequences' blocks", async () => {
    // 2 sequences of 100 tokens: 7 blocks of 16 each, 14 in all.
    const {engine, steps} = createTimedEngine({numSequences: 2, sequenceCapacity: 100});
    const usages: number[] = [];
    engine.on("step", () => usages.push(engine.stats.kvUsage));
    const promptTokens = Array.from({length: 16}, (_, index) => index + 1);
    await engine.submit(request("kv", {promptTokens, maxTokens: 3})).collect();
    // The prefill fills one block; the first decode starts a second; a finished request holds nothing
    // (its leftovers are reusable, not in use).
    expect(steps).toHaveLength(3);
    expect(usages).toEqual([1 / 14, 2 / 14, 0]);
    expect(engine.stats).toMatchObject({kvUsage: 0, numKvBlocksUsed: 0, numKvBlocksTotal: 14});
  });

  it("warms up with a prefill and a decode, and leaves the engine idle", async () => {
    const {engine, steps, finished} = createTimedEngine();
    const tookMs = await engine.warmUp([5, 6, 7]);
    expect(tookMs).toBe(2 * STEP_MS);
    expect(steps.map((step) => step.entries.map((entry) => entry.numTokens))).toEqual([[3], [1]]);
    expect(finished).toHaveLength(1);
    expect(finished[0]!.summary).toMatchObject({finishReason: "length", numOutputTokens: 2});
    expect(engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: 2});
  });

  it("resolves whenDone() with the abort summary after the reader left", async () => {
    const {engine} = createTimedEngine();
    const stream = engine.submit(request("leaves", {maxTokens: 100}));
    const reader = stream[Symbol.asyncIterator]();
    await reader.next();
    await reader.return?.();
    const summary = await stream.whenDone();
    expect(summary.finishReason).toBe("abort");
    expect(await stream.whenDone()).toBe(summary);
  });
});
