/**
 * Random arrivals (with shared prompt prefixes, priorities, deadlines), aborts at any moment (also
 * between schedule() and update()), stop tokens, speculation and step pacing, over random configs; the fake
 * executor checks every step against its own copy of each sequence. Invariants are checked after
 * every step, and each request must end with exactly the tokens of an uninterrupted run.
 */

import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {MIN_PREFILL_TOKENS} from "../../scheduler/StepPacer.ts";
import type {FinishedRequest, SchedulerRequestSpec} from "../../scheduler/types.ts";
import {createHarness, promptTokens, referenceOutput} from "../utils/schedulerBuilders.ts";

const isStopToken = (token: number): boolean => token % 97 === 0;

/** `arbitrary` once in `every` draws, null otherwise. */
function rarely<T>(arbitrary: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | null> {
  return fc.oneof({weight: every - 1, arbitrary: fc.constant(null)}, {weight: 1, arbitrary});
}

const configArbitrary = fc.record({
  numSequences: fc.integer({min: 1, max: 5}),
  sequenceCapacity: fc.integer({min: 8, max: 64}),
  maxNumBatchedTokens: fc.integer({min: 1, max: 64}),
  maxQueueLength: fc.integer({min: 1, max: 12}),
  policy: fc.constantFrom("fcfs" as const, "priority" as const, "priority" as const),
  isPreemptionEnabled: fc.constantFrom(true, true, false),
  maxDraftTokens: fc.constantFrom(0, 0, 2, 4, 8),
  draftAgreement: fc.constantFrom(0, 0.5, 0.9, 1),
  targetItlMs: fc.constantFrom(undefined, undefined, "auto" as const, 3)
});

const arrivalArbitrary = fc.record({
  // Prompts of one family share a prefix, so placements find cached prefixes of every length.
  family: fc.integer({min: 0, max: 3}),
  promptLength: fc.integer({min: 1, max: 40}),
  maxTokens: fc.integer({min: 1, max: 40}),
  priority: fc.integer({min: 0, max: 3}),
  deadlineAfterMs: rarely(fc.integer({min: 0, max: 60}), 5)
});

const eventArbitrary = fc.record({
  arrivals: fc.array(arrivalArbitrary, {maxLength: 4}),
  abortPick: rarely(fc.nat(), 6),
  inFlightAbortPick: rarely(fc.nat(), 10),
  advanceMs: fc.integer({min: 0, max: 4})
});

/** What a request must end with when nothing ends it early: reference tokens up to length or a stop. */
function expectedEnding(spec: SchedulerRequestSpec, sequenceCapacity: number): {tokens: number[]; stopIndex: number} {
  const limit = Math.min(spec.maxTokens, sequenceCapacity - spec.promptTokens.length);
  const tokens = referenceOutput(spec, limit);
  const stopIndex = tokens.findIndex(isStopToken);
  return {tokens: stopIndex === -1 ? tokens : tokens.slice(0, stopIndex + 1), stopIndex};
}

describe("scheduler under random load", () => {
  it("keeps its invariants and finishes every request with the uninterrupted run's tokens", () => {
    let numArrivalsTotal = 0;
    // What the random runs exercised, so the test fails if the generators stop reaching a feature.
    const coverage = {numAcceptedDraftTokens: 0, numRejectedDraftTokens: 0, numPreemptions: 0, numPrefixHitTokens: 0, numInFlightAborts: 0, numPacedSteps: 0, reasons: new Set<string>()};
    fc.assert(fc.property(configArbitrary, fc.array(eventArbitrary, {minLength: 5, maxLength: 60}), (config, events) => {
      const {maxDraftTokens, draftAgreement, ...schedulerConfig} = config;
      // The fake clock gives the adaptive rule no timings; a fixed length exercises drafts in every step.
      const speculation = maxDraftTokens > 0 ? {maxDraftTokens, isAdaptive: false} : undefined;
      const {scheduler, clock, executor} = createHarness({...schedulerConfig, speculation}, {draftAgreement, isStopToken});
      const specs = new Map<string, SchedulerRequestSpec>();
      const finished = new Map<string, FinishedRequest>();
      const live = (): string[] => [...specs.keys()].filter((id) => !finished.has(id));
      const record = (requests: readonly FinishedRequest[]): void => {
        for (const request of requests) {
          expect(finished.has(request.requestId)).toBe(false);
          finished.set(request.requestId, request);
        }
      };

      const step = (inFlightAbortPick: number | null): void => {
        record(scheduler.expireDeadlines());
        const output = scheduler.schedule();
        scheduler.checkInvariants();
        const {numFreeSequences, numWaiting, numPreempted} = scheduler.stats;
        // Work-conserving: nobody is left queued beside a free sequence while budget is unused, except
        // what pacing keeps back, and pacing still lets some prefill in.
        if (numFreeSequences > 0 && numWaiting + numPreempted > 0) {
          if (config.targetItlMs === undefined) expect(output.numScheduledTokens).toBe(config.maxNumBatchedTokens);
          else expect(output.numScheduledTokens).toBeGreaterThanOrEqual(Math.min(config.maxNumBatchedTokens, MIN_PREFILL_TOKENS));
          if (output.numScheduledTokens < config.maxNumBatchedTokens) coverage.numPacedSteps++;
        }
        // Preempted requests wait again, holding no sequence.
        expect(numPreempted).toBeGreaterThanOrEqual(output.preemptedIds.length);
        const owners = new Set(scheduler.getSequences().map(({ownerId}) => ownerId));
        for (const id of output.preemptedIds) expect(owners.has(id)).toBe(false);
        if (inFlightAbortPick !== null && output.scheduled.length > 0) {
          const {requestId} = output.scheduled[inFlightAbortPick % output.scheduled.length]!;
          record([scheduler.abort(requestId)!]);
          coverage.numInFlightAborts++;
        }
        // Paced runs take time by the step's size, so the pacer measures something.
        if (config.targetItlMs !== undefined) clock.advance(0.5 + 0.2 * output.numScheduledTokens);
        record(scheduler.update(output, executor.execute(output)));
        scheduler.checkInvariants();
        clock.advance(1);
      };

      for (const event of events) {
        for (const arrival of event.arrivals) {
          const spec: SchedulerRequestSpec = {
            id: `q${specs.size}-${numArrivalsTotal++}`,
            promptTokens: promptTokens(arrival.family, arrival.promptLength),
            maxTokens: arrival.maxTokens,
            priority: arrival.priority,
            isSpeculationAllowed: arrival.family !== 3,
            arrivalMs: clock.nowMs,
            ...(arrival.deadlineAfterMs === null ? {} : {deadlineMs: clock.nowMs + arrival.deadlineAfterMs})
          };
          const numWaitingBefore = scheduler.stats.numWaiting;
          const result = scheduler.addRequest(spec);
          if (spec.promptTokens.length >= config.sequenceCapacity) expect(result).toEqual({isAccepted: false, reason: "too_long"});
          else if (numWaitingBefore >= config.maxQueueLength) expect(result).toEqual({isAccepted: false, reason: "queue_full"});
          else expect(result).toEqual({isAccepted: true});
          if (result.isAccepted) specs.set(spec.id, spec);
        }
        const ids = live();
        if (event.abortPick !== null && ids.length > 0) record([scheduler.abort(ids[event.abortPick % ids.length]!)!]);
        scheduler.checkInvariants();
        clock.advance(event.advanceMs);
        step(event.inFlightAbortPick);
      }
      for (let numDrainSteps = 0; scheduler.hasWork(); numDrainSteps++) {
        expect(numDrainSteps).toBeLessThan(5_000);
        step(null);
      }

      expect(live()).toEqual([]);
      coverage.numPreemptions += scheduler.stats.numPreemptionsTotal;
      coverage.numAcceptedDraftTokens += executor.numAcceptedTokensTotal;
      coverage.numRejectedDraftTokens += executor.numDraftTokensTotal - executor.numAcceptedTokensTotal;
      coverage.numPrefixHitTokens += scheduler.stats.numPrefixHitTokensTotal;
      for (const {reason} of finished.values()) coverage.reasons.add(reason);
      expect(scheduler.stats).toMatchObject({numWaiting: 0, numRunning: 0, numPreempted: 0, numFreeSequences: config.numSequences});
      for (const [id, spec] of specs) {
        const {reason, outputTokens} = finished.get(id)!;
        const expected = expectedEnding(spec, config.sequenceCapacity);
        if (reason === "abort" || reason === "timeout") {
          expect(outputTokens).toEqual(expected.tokens.slice(0, outputTokens.length));
          continue;
        }
        expect(outputTokens).toEqual(expected.tokens);
        // A speculated stop token past the limit still reports "stop", though the token is cut.
        const allowedReasons = expected.stopIndex !== -1 ? ["stop"] : maxDraftTokens > 0 ? ["length", "stop"] : ["length"];
        expect(allowedReasons).toContain(reason);
      }
    }), {numRuns: 300, seed: 20_250_101});
    expect(numArrivalsTotal).toBeGreaterThan(5_000);
    expect(coverage.numPreemptions).toBeGreaterThan(50);
    expect(coverage.numAcceptedDraftTokens).toBeGreaterThan(1_000);
    expect(coverage.numRejectedDraftTokens).toBeGreaterThan(1_000);
    expect(coverage.numPrefixHitTokens).toBeGreaterThan(1_000);
    expect(coverage.numInFlightAborts).toBeGreaterThan(100);
    expect(coverage.numPacedSteps).toBeGreaterThan(10);
    expect([...coverage.reasons].sort()).toEqual(["abort", "length", "stop", "timeout"]);
  });
});
