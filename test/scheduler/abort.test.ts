/**
 * Aborts in every state (waiting, mid-prefill, decoding, preempted, in flight) and deadlines.
 */

import {describe, expect, it} from "vitest";
import {addAll, createHarness, createRequests, promptTokens, referenceOutput} from "../utils/schedulerBuilders.ts";

describe("abort", () => {
  it("removes a waiting request from the queue", () => {
    const harness = createHarness({numSequences: 1});
    addAll(harness.scheduler, createRequests(3, {maxTokens: 3}));
    harness.step();
    expect(harness.scheduler.abort("r1")).toEqual({requestId: "r1", reason: "abort", outputTokens: [], sequenceIndex: null});
    harness.scheduler.checkInvariants();
    expect(harness.scheduler.stats.numWaiting).toBe(1);
    expect(harness.runUntilIdle().map(({requestId}) => requestId)).toEqual(["r0", "r2"]);
  });

  it("frees the sequence of a request in the middle of its prefill", () => {
    const harness = createHarness({numSequences: 1, maxNumBatchedTokens: 10});
    addAll(harness.scheduler, createRequests(2, {promptTokens: promptTokens(1, 50), maxTokens: 3}));
    harness.step();
    expect(harness.scheduler.stats).toMatchObject({numRunning: 1, numWaiting: 1});
    expect(harness.scheduler.getSequences()[0]).toEqual({index: 0, ownerId: "r0", numHeldTokens: 10});
    const finished = harness.scheduler.abort("r0", "error");
    expect(finished).toEqual({requestId: "r0", reason: "error", outputTokens: [], sequenceIndex: 0});
    harness.scheduler.checkInvariants();
    expect(harness.scheduler.stats).toMatchObject({numFreeSequences: 1, numRunning: 0});
    // An engine fault leaves the sequence's content unknown, so nothing of it is offered for reuse.
    expect(harness.scheduler.getSequences()[0]).toEqual({index: 0, ownerId: null, numHeldTokens: 0});
    expect(harness.step().output.scheduled[0]).toMatchObject({requestId: "r1", sequenceIndex: 0, numComputedTokens: 0});
  });

  it("frees the sequence of a decoding request and keeps its computed tokens for reuse", () => {
    const harness = createHarness({numSequences: 2});
    const [spec] = createRequests(1, {maxTokens: 10});
    addAll(harness.scheduler, [spec!]);
    for (let step = 0; step < 4; step++) harness.step();
    const finished = harness.scheduler.abort("r0");
    expect(finished).toEqual({requestId: "r0", reason: "abort", outputTokens: referenceOutput(spec!, 4), sequenceIndex: 0});
    harness.scheduler.checkInvariants();
    expect(harness.scheduler.getSequences()[0]).toEqual({index: 0, ownerId: null, numHeldTokens: 8 + 3});
    expect(harness.scheduler.hasWork()).toBe(false);
    expect(harness.scheduler.abort("r0")).toBeNull();
    expect(harness.scheduler.abort("never-added")).toBeNull();
  });

  it("removes a preempted request, which holds no sequence", () => {
    const harness = createHarness({numSequences: 1, policy: "priority", isPreemptionEnabled: true});
    addAll(harness.scheduler, createRequests(1, {id: "low", priority: 5, maxTokens: 10}));
    harness.step();
    harness.step();
    addAll(harness.scheduler, createRequests(1, {id: "high", priority: 0, maxTokens: 10}));
    expect(harness.step().output.preemptedIds).toEqual(["low"]);
    expect(harness.scheduler.stats).toMatchObject({numPreempted: 1, numRunning: 1});
    expect(harness.scheduler.getSequences().map(({ownerId}) => ownerId)).toEqual(["high"]);
    const finished = harness.scheduler.abort("low");
    expect(finished).toMatchObject({requestId: "low", reason: "abort", sequenceIndex: null});
    expect(finished?.outputTokens).toHaveLength(2);
    harness.scheduler.checkInvariants();
    expect(harness.scheduler.stats).toMatchObject({numPreempted: 0, numRunning: 1, numFreeSequences: 0});
    expect(harness.runUntilIdle().map(({requestId}) => requestId)).toEqual(["high"]);
  });

  it("ignores an aborted request when the step that scheduled it is applied", () => {
    const harness = createHarness({numSequences: 2});
    const specs = createRequests(2, {maxTokens: 3});
    addAll(harness.scheduler, specs);
    const output = harness.scheduler.schedule();
    const result = harness.executor.execute(output);
    harness.scheduler.abort("r0");
    // The id is reused by a new request before the step lands; the step must not touch it.
    addAll(harness.scheduler, [{...specs[0]!, promptTokens: [1, 2, 3]}]);
    expect(harness.scheduler.update(output, {...result, stoppedIds: new Map([["r0", "stop"]])})).toEqual([]);
    harness.scheduler.checkInvariants();
    // The new r0 waits, untouched; r1 kept the token its step sampled and now decodes it.
    expect(harness.scheduler.stats).toMatchObject({numWaiting: 1, numRunning: 1});
    const next = harness.step().output.scheduled;
    expect(next.find(({requestId}) => requestId === "r1")).toMatchObject({tokens: referenceOutput(specs[1]!, 1), isNewlyPlaced: false});
    expect(next.find(({requestId}) => requestId === "r0")).toMatchObject({tokens: [1, 2, 3], numComputedTokens: 0, isNewlyPlaced: true});
    const finished = harness.runUntilIdle();
    expect(finished.find(({requestId}) => requestId === "r0")?.outputTokens).toEqual(referenceOutput({id: "r0", promptTokens: [1, 2, 3]}, 3));
  });
});

describe("deadlines", () => {
  it("times out waiting and running requests once the clock passes their deadline", () => {
    const harness = createHarness({numSequences: 1});
    addAll(harness.scheduler, [
      ...createRequests(1, {id: "running", deadlineMs: 100, maxTokens: 50}),
      ...createRequests(1, {id: "waiting", deadlineMs: 50, maxTokens: 50}),
      ...createRequests(1, {id: "no-deadline", maxTokens: 2})
    ]);
    harness.step();
    harness.step();
    harness.clock.advance(50);
    expect(harness.scheduler.expireDeadlines()).toEqual([]);
    harness.clock.advance(1);
    expect(harness.scheduler.expireDeadlines()).toEqual([{requestId: "waiting", reason: "timeout", outputTokens: [], sequenceIndex: null}]);
    harness.clock.advance(50);
    const [expired, ...rest] = harness.scheduler.expireDeadlines();
    expect(rest).toEqual([]);
    expect(expired).toMatchObject({requestId: "running", reason: "timeout", sequenceIndex: 0});
    expect(expired?.outputTokens).toHaveLength(2);
    harness.scheduler.checkInvariants();
    expect(harness.runUntilIdle().map(({requestId, reason}) => [requestId, reason])).toEqual([["no-deadline", "length"]]);
  });
});
