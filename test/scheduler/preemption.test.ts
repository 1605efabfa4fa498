/**
 * Priority preemption: who is paused, who resumes first, and that resumed requests produce the
 * tokens of an uninterrupted run.
 */

import {describe, expect, it} from "vitest";
import {choosePreemptionVictims} from "../../scheduler/preemption.ts";
import type {FinishedRequest} from "../../scheduler/types.ts";
import {addAll, createHarness, createRequests, promptTokens, referenceOutput} from "../utils/schedulerBuilders.ts";

const preemptive = {policy: "priority", isPreemptionEnabled: true} as const;

function outputsById(finished: readonly FinishedRequest[]): Map<string, readonly number[]> {
  return new Map(finished.map(({requestId, outputTokens}) => [requestId, outputTokens]));
}

describe("preemption", () => {
  it("pauses the worst running request for a better waiting one and resumes it with the same tokens", () => {
    const harness = createHarness({numSequences: 2, maxNumBatchedTokens: 16, ...preemptive});
    const background = createRequests(2, (index) => ({id: `bg${index}`, priority: 3 + index, promptTokens: promptTokens(index, 20), maxTokens: 12}));
    addAll(harness.scheduler, background);
    const finished: FinishedRequest[] = [];
    for (let step = 0; step < 6; step++) finished.push(...harness.step().finished);
    const urgent = createRequests(1, {id: "urgent", priority: 0, promptTokens: promptTokens(7, 9), maxTokens: 4})[0]!;
    addAll(harness.scheduler, [urgent]);

    const {output} = harness.step();
    // bg1 has the worst priority (4), so it yields, keeping its output so far.
    expect(output.preemptedIds).toEqual(["bg1"]);
    expect(output.scheduled.find(({requestId}) => requestId === "urgent")).toMatchObject({isNewlyPlaced: true, sequenceIndex: 1});
    expect(harness.scheduler.stats).toMatchObject({numPreempted: 1, numPreemptionsTotal: 1});
    expect(harness.scheduler.getSequences().map(({ownerId}) => ownerId)).toEqual(["bg0", "urgent"]);

    finished.push(...harness.runUntilIdle());
    const outputs = outputsById(finished);
    expect(outputs.get("urgent")).toEqual(referenceOutput(urgent, 4));
    for (const spec of background) expect(outputs.get(spec.id)).toEqual(referenceOutput(spec, 12));
    expect(harness.scheduler.stats.numPreemptionsTotal).toBe(1);
  });

  it("produces the same tokens as an uninterrupted run after repeated preemptions", () => {
    const specs = createRequests(4, (index) => ({priority: 10, promptTokens: promptTokens(index, 5 + 7 * index), maxTokens: 20}));
    const uninterrupted = createHarness({numSequences: 2, maxNumBatchedTokens: 12, ...preemptive});
    addAll(uninterrupted.scheduler, specs);
    const expected = outputsById(uninterrupted.runUntilIdle());
    expect(uninterrupted.scheduler.stats.numPreemptionsTotal).toBe(0);

    const interrupted = createHarness({numSequences: 2, maxNumBatchedTokens: 12, ...preemptive});
    addAll(interrupted.scheduler, specs);
    const finished: FinishedRequest[] = [];
    for (let wave = 0; wave < 5; wave++) {
      for (let step = 0; step < 3; step++) finished.push(...interrupted.step().finished);
      addAll(interrupted.scheduler, createRequests(1, {id: `vip${wave}`, priority: 0, promptTokens: promptTokens(50 + wave, 6), maxTokens: 2}));
    }
    finished.push(...interrupted.runUntilIdle());
    expect(interrupted.scheduler.stats.numPreemptionsTotal).toBeGreaterThanOrEqual(3);
    const actual = outputsById(finished);
    for (const spec of specs) expect(actual.get(spec.id)).toEqual(expected.get(spec.id));
  });

  it("re-prefills everything on resume when its old sequence was overwritten", () => {
    const harness = createHarness({numSequences: 2, ...preemptive});
    addAll(harness.scheduler, createRequests(2, (index) => ({id: ["keep", "victim"][index]!, priority: 5 + index, maxTokens: 30})));
    for (let step = 0; step < 3; step++) harness.step();
    addAll(harness.scheduler, createRequests(1, {id: "short", priority: 0, promptTokens: promptTokens(9, 8), maxTokens: 1}));
    const {output, finished} = harness.step();
    expect(output.preemptedIds).toEqual(["victim"]);
    expect(finished.map(({requestId}) => requestId)).toEqual(["short"]);
    const hitsBefore = harness.scheduler.stats.numPrefixHitTokensTotal;
    const resumed = harness.step().output.scheduled.find(({requestId}) => requestId === "victim")!;
    expect(resumed).toMatchObject({isNewlyPlaced: true, numComputedTokens: 0, isSampling: true, sequenceIndex: 1});
    expect(resumed.tokens).toHaveLength(8 + 3);
    expect(harness.scheduler.stats.numPrefixHitTokensTotal).toBe(hitsBefore);
  });

  it("reuses on resume what its old sequence still shares with it", () => {
    const harness = createHarness({numSequences: 2, ...preemptive});
    const [keep, victim] = createRequests(2, (index) => ({id: ["keep", "victim"][index]!, priority: 5 + index, maxTokens: 30}));
    addAll(harness.scheduler, [keep!, victim!]);
    for (let step = 0; step < 3; step++) harness.step();
    const victimOutput = referenceOutput(victim!, 3);
    // The victim has sampled 3 tokens and fed 2 of them; the resume below feeds all 3 again.
    expect(harness.scheduler.getSequences()[1]).toEqual({index: 1, ownerId: "victim", numHeldTokens: 8 + 2});

    // Same prompt as the victim, then a different token: it reuses the victim's 8 prompt tokens.
    const short = {...victim!, id: "short", priority: 0, promptTokens: [...victim!.promptTokens, 777], maxTokens: 1};
    addAll(harness.scheduler, [short]);
    const {output, finished} = harness.step();
    expect(output.preemptedIds).toEqual(["victim"]);
    expect(output.scheduled.find(({requestId}) => requestId === "short")).toMatchObject({sequenceIndex: 1, numComputedTokens: 8, tokens: [777]});
    expect(finished.map(({requestId}) => requestId)).toEqual(["short"]);
    expect(harness.scheduler.getSequences()[1]).toEqual({index: 1, ownerId: null, numHeldTokens: 9});

    const resumed = harness.step().output.scheduled.find(({requestId}) => requestId === "victim");
    expect(resumed).toMatchObject({sequenceIndex: 1, isNewlyPlaced: true, numComputedTokens: 8, tokens: victimOutput, isSampling: true});
    const outputs = outputsById(harness.runUntilIdle());
    expect(outputs.get("victim")).toEqual(referenceOutput(victim!, 30));
    expect(outputs.get("keep")).toEqual(referenceOutput(keep!, 30));
  });

  it("does not preempt for an equal priority, nor under fcfs, nor when disabled", () => {
    for (const config of [
      {policy: "priority", isPreemptionEnabled: true},
      {policy: "fcfs", isPreemptionEnabled: true},
      {policy: "priority", isPreemptionEnabled: false}
    ] as const) {
      const harness = createHarness({numSequences: 1, ...config});
      addAll(harness.scheduler, createRequests(1, {id: "first", priority: config.isPreemptionEnabled && config.policy === "priority" ? 0 : 5}));
      harness.step();
      addAll(harness.scheduler, createRequests(1, {id: "second", priority: 0}));
      expect(harness.runUntilIdle().map(({requestId}) => requestId)).toEqual(["first", "second"]);
      expect(harness.scheduler.stats.numPreemptionsTotal).toBe(0);
    }
  });

  it("preempts the most recently admitted among equally bad running requests, once per better arrival", () => {
    const harness = createHarness({numSequences: 3, ...preemptive});
    addAll(harness.scheduler, createRequests(3, {priority: 5, maxTokens: 20}));
    harness.step();
    addAll(harness.scheduler, createRequests(2, (index) => ({id: `vip${index}`, priority: 1, maxTokens: 20})));
    const {output} = harness.step();
    expect(output.preemptedIds).toEqual(["r2", "r1"]);
    expect(output.scheduled.filter(({isNewlyPlaced}) => isNewlyPlaced).map(({requestId}) => requestId)).toEqual(["vip0", "vip1"]);
    // Resumed ones come back in arrival order, ahead of later arrivals of their class.
    addAll(harness.scheduler, createRequests(1, {id: "late", priority: 5, maxTokens: 1}));
    const placements: string[] = [];
    while (harness.scheduler.hasWork()) {
      for (const entry of harness.step().output.scheduled) if (entry.isNewlyPlaced) placements.push(entry.requestId);
    }
    expect(placements).toEqual(["r1", "r2", "late"]);
  });
});

describe("choosePreemptionVictims", () => {
  const entry = (priority: number, admissionOrder = -1) => ({priority, admissionOrder});

  it("lets idle sequences go first, then takes running requests worst first while the queue is strictly better", () => {
    const running = [entry(2, 0), entry(5, 1), entry(5, 2), entry(3, 3)];
    // One idle sequence for the first entry; the next three claim 5 (latest first), 5, then 3.
    expect(choosePreemptionVictims([entry(0), entry(0), entry(1), entry(2), entry(2)], running, 1)).toEqual([running[2], running[1], running[3]]);
    // An equal priority claims nothing, and the walk stops there.
    expect(choosePreemptionVictims([entry(5), entry(0)], running, 0)).toEqual([]);
    expect(choosePreemptionVictims([entry(0), entry(0)], running, 2)).toEqual([]);
    expect(choosePreemptionVictims([entry(0)], [], 0)).toEqual([]);
  });
});
