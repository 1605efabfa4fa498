/**
 * Applying step results: length and capacity limits, stops, speculated tokens, retries of steps
 * that sampled nothing, and mismatched results.
 */

import {describe, expect, it} from "vitest";
import {addAll, createHarness, createRequests, promptTokens, referenceOutput} from "../utils/schedulerBuilders.ts";

describe("update", () => {
  it("finishes with length at maxTokens, one token per step", () => {
    const harness = createHarness();
    const [spec] = createRequests(1, {maxTokens: 5});
    addAll(harness.scheduler, [spec!]);
    for (let step = 1; step <= 4; step++) {
      const {output, finished} = harness.step();
      expect(finished).toEqual([]);
      // Each decode feeds the token sampled the step before, so the output grows one token a step.
      expect(output.scheduled[0]?.tokens).toEqual(step === 1 ? spec!.promptTokens : referenceOutput(spec!, step - 1).slice(-1));
      expect(harness.scheduler.getSequences()[0]).toEqual({index: 0, ownerId: "r0", numHeldTokens: 7 + step});
    }
    expect(harness.step().finished).toEqual([{requestId: "r0", reason: "length", outputTokens: referenceOutput(spec!, 5), sequenceIndex: 0}]);
    expect(harness.scheduler.hasWork()).toBe(false);
    expect(harness.scheduler.getSequences()[0]?.numHeldTokens).toBe(8 + 4);
  });

  it("finishes with length when the sequence is full, before maxTokens", () => {
    const harness = createHarness({sequenceCapacity: 12});
    const [spec] = createRequests(1, {maxTokens: 100});
    addAll(harness.scheduler, [spec!]);
    const finished = harness.runUntilIdle();
    expect(finished).toEqual([{requestId: "r0", reason: "length", outputTokens: referenceOutput(spec!, 4), sequenceIndex: 0}]);
  });

  it("ends a request named in stoppedIds, keeping the token sampled with the stop", () => {
    const stopToken = referenceOutput(createRequests(1)[0]!, 3)[2]!;
    const harness = createHarness({}, {isStopToken: (token) => token === stopToken});
    const [spec] = createRequests(1, {maxTokens: 50});
    addAll(harness.scheduler, [spec!]);
    expect(harness.runUntilIdle()).toEqual([{requestId: "r0", reason: "stop", outputTokens: referenceOutput(spec!, 3), sequenceIndex: 0}]);
  });

  it("reports stop, not length, when the stop token is also the last one allowed", () => {
    const [spec] = createRequests(1, {maxTokens: 3});
    const stopToken = referenceOutput(spec!, 3)[2]!;
    const harness = createHarness({}, {isStopToken: (token) => token === stopToken});
    addAll(harness.scheduler, [spec!]);
    expect(harness.runUntilIdle()).toMatchObject([{requestId: "r0", reason: "stop", outputTokens: referenceOutput(spec!, 3)}]);
  });

  it("ends a stopped request that was not in the step, and applies a stop-only empty update", () => {
    const harness = createHarness({numSequences: 1});
    addAll(harness.scheduler, createRequests(3, {maxTokens: 50}));
    const output = harness.scheduler.schedule();
    const result = harness.executor.execute(output);
    const finished = harness.scheduler.update(output, {...result, stoppedIds: new Map([["r2", "error"]])});
    expect(finished).toEqual([{requestId: "r2", reason: "error", outputTokens: [], sequenceIndex: null}]);
    const empty = {stepId: 0, scheduled: [], numScheduledTokens: 0, preemptedIds: []};
    expect(harness.scheduler.update(empty, {stepId: 0, sampledTokens: new Map(), stoppedIds: new Map([["r0", "stop"]])}))
      .toMatchObject([{requestId: "r0", reason: "stop", sequenceIndex: 0}]);
    harness.scheduler.checkInvariants();
    expect(harness.scheduler.stats).toMatchObject({numRunning: 0, numWaiting: 1});
  });

  it("takes accepted draft tokens as computed and never appends past maxTokens", () => {
    const harness = createHarness({speculation: {maxDraftTokens: 4, isAdaptive: false}}, {draftAgreement: 1});
    const [spec] = createRequests(1, {maxTokens: 7});
    addAll(harness.scheduler, [spec!]);
    // The prefill step samples the first token; drafts come only with decodes.
    expect(harness.step().output.scheduled[0]).toMatchObject({tokens: spec!.promptTokens, maxNumDraftTokens: 0});
    const decode = harness.step();
    expect(decode.output.scheduled[0]).toMatchObject({numComputedTokens: 8, tokens: referenceOutput(spec!, 1), isSampling: true, maxNumDraftTokens: 4});
    expect(decode.output.numScheduledTokens).toBe(5);
    // Four drafts accepted plus the target's token: all but that last one are in the sequence.
    expect(harness.scheduler.getSequences()[0]).toEqual({index: 0, ownerId: "r0", numHeldTokens: 13});
    expect(harness.executor.sequenceLength(0)).toBe(13);
    // One output token left: no room for drafts.
    const last = harness.step();
    expect(last.output.scheduled[0]).toMatchObject({numComputedTokens: 13, tokens: referenceOutput(spec!, 6).slice(5), maxNumDraftTokens: 0});
    expect(last.finished).toEqual([{requestId: "r0", reason: "length", outputTokens: referenceOutput(spec!, 7), sequenceIndex: 0}]);
  });

  it("keeps only the agreeing drafts, rolls the rest back and counts both", () => {
    const harness = createHarness({speculation: {maxDraftTokens: 8, isAdaptive: false}}, {draftAgreement: 0.5});
    const [spec] = createRequests(1, {maxTokens: 60});
    addAll(harness.scheduler, [spec!]);
    const finished = harness.runUntilIdle();
    expect(finished).toEqual([{requestId: "r0", reason: "length", outputTokens: referenceOutput(spec!, 60), sequenceIndex: 0}]);
    const {numDraftTokensTotal, numAcceptedTokensTotal} = harness.executor;
    expect(numAcceptedTokensTotal).toBeGreaterThan(0);
    expect(numAcceptedTokensTotal).toBeLessThan(numDraftTokensTotal);
    // Fewer steps than tokens: accepted drafts saved steps.
    expect(harness.executor.numStepsTotal).toBeLessThan(60);
  });

  it("refuses a step result with more tokens than the drafts allowed", () => {
    const harness = createHarness();
    addAll(harness.scheduler, createRequests(1));
    harness.step();
    const output = harness.scheduler.schedule();
    expect(output.scheduled[0]?.maxNumDraftTokens).toBe(0);
    expect(() => harness.scheduler.update(output, {stepId: output.stepId, sampledTokens: new Map([["r0", [1, 2]]]), stoppedIds: new Map()}))
      .toThrow(RangeError);
  });

  it("retries a sampling step that reported neither a token nor a stop", () => {
    const harness = createHarness();
    const [spec] = createRequests(1, {promptTokens: promptTokens(4, 10), maxTokens: 2});
    addAll(harness.scheduler, [spec!]);
    const output = harness.scheduler.schedule();
    harness.executor.execute(output);
    expect(harness.scheduler.update(output, {stepId: output.stepId, sampledTokens: new Map(), stoppedIds: new Map()})).toEqual([]);
    harness.scheduler.checkInvariants();
    const retry = harness.step().output.scheduled[0];
    // The fake context holds all 10 tokens; the retry trims the last one and feeds it again.
    expect(retry).toMatchObject({isNewlyPlaced: true, numComputedTokens: 9, tokens: [spec!.promptTokens[9]], isSampling: true});
    expect(harness.runUntilIdle()[0]?.outputTokens).toEqual(referenceOutput(spec!, 2));
  });

  it("rejects a result for another step", () => {
    const harness = createHarness();
    addAll(harness.scheduler, createRequests(1));
    const output = harness.scheduler.schedule();
    expect(() => harness.scheduler.update(output, {...harness.executor.execute(output), stepId: output.stepId + 1})).toThrow(/another step/);
  });
});
