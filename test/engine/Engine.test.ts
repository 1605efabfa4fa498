/**
 * The engine loop over a fake executor: requests join the running batch at the next step, streams end
 * with the right finish reason, aborts free sequences, and faults stay confined to one request.
 */
import {describe, expect, it} from "vitest";
import {EngineError} from "../../engine/errors.ts";
import {FAKE_EOG_TOKEN, fakeDetokenize} from "../utils/FakeExecutor.ts";
import {createFakeEngine as createEngine, fakeRequest} from "../utils/fakeEngine.ts";

let nextId = 0;
const request = (overrides: Parameters<typeof fakeRequest>[1] = {}) => fakeRequest(`req-${nextId++}`, overrides);

describe("Engine", () => {
  it("generates max tokens and finishes with length", async () => {
    const {engine} = createEngine();
    const {text, tokenIds, summary} = await engine.submit(request({maxTokens: 5})).collect();
    expect(tokenIds).toHaveLength(5);
    expect(text).toBe(fakeDetokenize(tokenIds));
    expect(summary).toMatchObject({finishReason: "length", numPromptTokens: 4, numOutputTokens: 5});
    expect(summary.timings.timeToFirstTokenMs).not.toBeNull();
  });

  it("lets a request that arrives mid-generation join the running batch at the next step", async () => {
    const {engine, steps, afterSteps} = createEngine({numSequences: 2});
    const long = engine.submit(request({id: "long", maxTokens: 30}));
    const reader = long.collect();
    await afterSteps(3);
    const joinedAtStep = steps.length;
    const short = await engine.submit(request({id: "short", maxTokens: 3})).collect();
    expect(short.summary.numOutputTokens).toBe(3);
    expect(long.isFinished).toBe(false);
    const shared = steps.filter((step) => step.entries.some((e) => e.requestId === "short") && step.entries.some((e) => e.requestId === "long"));
    expect(shared.length).toBeGreaterThanOrEqual(3);
    const firstShortStep = steps.findIndex((step) => step.entries.some((e) => e.requestId === "short"));
    expect(firstShortStep - joinedAtStep).toBeLessThanOrEqual(1);
    expect((await reader).summary.numOutputTokens).toBe(30);
  });

  it("ends at a stop string without emitting it", async () => {
    const {engine} = createEngine();
    const reference = await engine.submit(request({maxTokens: 8})).collect();
    const stop = reference.text.slice(3, 5);
    const stopped = await engine.submit(request({maxTokens: 8, stop: [stop]})).collect();
    expect(stopped.summary.finishReason).toBe("stop");
    expect(stopped.text).toBe(reference.text.slice(0, reference.text.indexOf(stop)));
  });

  it("stops at the end-of-generation token without counting it, unless told to ignore it", async () => {
    const forcedToken = (_id: string, position: number) => (position === 2 ? FAKE_EOG_TOKEN : undefined);
    const {engine} = createEngine({forcedToken});
    const stopped = await engine.submit(request({maxTokens: 8})).collect();
    expect(stopped.summary).toMatchObject({finishReason: "stop", numOutputTokens: 2});
    const ignoring = await engine.submit(request({maxTokens: 8, isEndOfGenerationIgnored: true})).collect();
    expect(ignoring.summary).toMatchObject({finishReason: "length", numOutputTokens: 8});
  });

  it("gives the same output for the same seed", async () => {
    const {engine} = createEngine();
    const first = await engine.submit(request({maxTokens: 6})).collect();
    const second = await engine.submit(request({maxTokens: 6})).collect();
    expect(second.tokenIds).toEqual(first.tokenIds);
  });

  it("frees the sequence of an aborted request at the next step", async () => {
    const {engine} = createEngine({numSequences: 1});
    const doomed = engine.submit(request({maxTokens: 200}));
    const iterator = doomed[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.(); // the reader leaves: that alone aborts the request
    const next = await engine.submit(request({maxTokens: 3})).collect();
    expect(next.summary.finishReason).toBe("length");
    expect(engine.stats.numRunning).toBe(0);
    expect(engine.stats.numFreeSequences).toBe(1);
  });

  it("refuses prompts that cannot fit and requests beyond the queue", () => {
    const {engine} = createEngine({sequenceCapacity: 16, numSequences: 1, maxQueueLength: 1});
    expect(() => engine.submit(request({promptTokens: new Array(16).fill(1)}))).toThrow(expect.objectContaining({code: "prompt_too_long"}));
    engine.submit(request());
    engine.submit(request());
    let caught: unknown;
    try {
      engine.submit(request());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EngineError);
    expect((caught as EngineError).code).toBe("queue_full");
  });

  it("speaks its own vocabulary when it refuses: an empty prompt, a request id already live", () => {
    const {engine} = createEngine({numSequences: 1});
    expect(() => engine.submit(request({promptTokens: []}))).toThrow(expect.objectContaining({code: "empty_prompt"}));
    engine.submit(request({id: "same"}));
    expect(() => engine.submit(request({id: "same"}))).toThrow(expect.objectContaining({code: "duplicate_request_id"}));
  });

  it("caps max tokens at what the sequence can still hold", async () => {
    const {engine} = createEngine({sequenceCapacity: 10});
    const {summary} = await engine.submit(request({maxTokens: 100})).collect();
    expect(summary).toMatchObject({finishReason: "length", numOutputTokens: 6});
  });

  it("fails only the request whose decode failed", async () => {
    const {engine} = createEngine({numSequences: 2, failingRequestId: "bad"});
    const [bad, good] = await Promise.all([
      engine.submit(request({id: "bad"})).collect(),
      engine.submit(request({id: "good"})).collect()
    ]);
    expect(bad.summary.finishReason).toBe("error");
    expect(bad.summary.errorMessage).toContain("injected");
    expect(good.summary).toMatchObject({finishReason: "length", numOutputTokens: 8});
    expect(engine.stats.numFreeSequences).toBe(2);
  });

  it("ends requests past --request-timeout: a waiting one with nothing, a running one with what it has", async () => {
    const {engine} = createEngine({numSequences: 1, stepDelayMs: 5, requestTimeoutMs: 100});
    const [running, waiting] = await Promise.all([
      engine.submit(request({id: "running", maxTokens: 400})).collect(),
      engine.submit(request({id: "waiting", maxTokens: 4})).collect()
    ]);
    expect(running.summary.finishReason).toBe("timeout");
    expect(running.summary.numOutputTokens).toBeGreaterThan(0);
    expect(running.summary.numOutputTokens).toBeLessThan(400);
    expect(waiting.summary).toMatchObject({finishReason: "timeout", numOutputTokens: 0});
    expect(engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: 1});
  });

  it("removes a request aborted while it waits for a sequence", async () => {
    const {engine, steps} = createEngine({numSequences: 1, stepDelayMs: 2});
    const busy = engine.submit(request({id: "busy", maxTokens: 20})).collect();
    const queued = engine.submit(request({id: "queued", maxTokens: 20}));
    queued.abort();
    const summary = await queued.whenDone();
    expect(summary).toMatchObject({finishReason: "abort", numOutputTokens: 0});
    await busy;
    expect(steps.some((step) => step.entries.some((entry) => entry.requestId === "queued"))).toBe(false);
  });

  it("pauses the worst running request for a better one under --preempt, and resumes it with identical output", async () => {
    const reference = await createEngine({numSequences: 1}).engine.submit(request({id: "low", maxTokens: 30, priority: 5})).collect();
    const {engine, afterSteps} = createEngine({numSequences: 1, stepDelayMs: 1, policy: "priority", isPreemptionEnabled: true});
    const low = engine.submit(request({id: "low", maxTokens: 30, priority: 5})).collect();
    await afterSteps(5);
    const high = await engine.submit(request({id: "high", maxTokens: 3, priority: 0})).collect();
    const lowResult = await low;
    expect(high.summary.finishReason).toBe("length");
    expect(engine.stats.numPreemptionsTotal).toBe(1);
    expect(lowResult.tokenIds).toEqual(reference.tokenIds);
    expect(lowResult.text).toBe(reference.text);
  });
});
