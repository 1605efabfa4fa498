/**
 * Prefix-aware placement: longest shared prefix wins, ties go where running sequences stay together
 * (llama.cpp decodes each run of consecutive sequence ids separately), then to the least recently used
 * sequence, the last token is always recomputed, and the stats count it.
 */

import {describe, expect, it} from "vitest";
import type {SchedulerRequestSpec} from "../../scheduler/types.ts";
import {addAll, createHarness, promptTokens, referenceOutput} from "../utils/schedulerBuilders.ts";

function spec(id: string, tokens: readonly number[], maxTokens = 1): SchedulerRequestSpec {
  return {id, promptTokens: tokens, maxTokens, priority: 0, arrivalMs: 0};
}

describe("prefix-aware placement", () => {
  it("places a request in the idle sequence sharing the longest prefix and skips those tokens", () => {
    const harness = createHarness({numSequences: 3});
    const base = promptTokens(1, 30);
    // Three sequences end up holding 10, 20 and 5 tokens of `base`, then a few of their own.
    addAll(harness.scheduler, [
      spec("a", [...base.slice(0, 10), 1, 1]),
      spec("b", [...base.slice(0, 20), 2, 2]),
      spec("c", [...base.slice(0, 5), 3])
    ]);
    harness.runUntilIdle();
    expect(harness.scheduler.getSequences().map(({numHeldTokens}) => numHeldTokens)).toEqual([12, 22, 6]);
    const statsBefore = harness.scheduler.stats;

    const next = spec("next", [...base.slice(0, 25), 9], 4);
    addAll(harness.scheduler, [next]);
    const {output} = harness.step();
    expect(output.scheduled).toEqual([
      {requestId: "next", sequenceIndex: 1, isNewlyPlaced: true, numComputedTokens: 20, tokens: [...base.slice(20, 25), 9], isSampling: true, maxNumDraftTokens: 0}
    ]);
    expect(harness.scheduler.stats.numPrefixQueryTokensTotal - statsBefore.numPrefixQueryTokensTotal).toBe(26);
    expect(harness.scheduler.stats.numPrefixHitTokensTotal - statsBefore.numPrefixHitTokensTotal).toBe(20);
    // The fake executor samples from what the sequence really holds, so a wrong reuse would show here.
    expect(harness.runUntilIdle()[0]?.outputTokens).toEqual(referenceOutput(next, 4));
  });

  it("never reuses the last token, even when the whole prompt is cached", () => {
    const harness = createHarness({numSequences: 1});
    const prompt = promptTokens(2, 12);
    addAll(harness.scheduler, [spec("first", [...prompt, 5, 6], 3)]);
    harness.runUntilIdle();
    expect(harness.scheduler.getSequences()[0]?.numHeldTokens).toBe(16);

    const same = spec("same", prompt, 2);
    addAll(harness.scheduler, [same]);
    const entry = harness.step().output.scheduled[0];
    expect(entry).toMatchObject({isNewlyPlaced: true, numComputedTokens: 11, tokens: [prompt[11]], isSampling: true});
    expect(harness.runUntilIdle()[0]?.outputTokens).toEqual(referenceOutput(same, 2));
  });

  it("breaks ties by least recently used sequence among those that keep running sequences together", () => {
    const harness = createHarness({numSequences: 4});
    addAll(harness.scheduler, [spec("w", [1, 1]), spec("x", [1, 2]), spec("y", [3, 4]), spec("z", [5, 6], 3)]);
    harness.step();
    // w, x and y finished in that order (w released first); z still runs in sequence 3.
    expect(harness.scheduler.getSequences().map(({ownerId}) => ownerId)).toEqual([null, null, null, "z"]);
    addAll(harness.scheduler, [spec("fresh", [7, 8])]);
    // Sequence 2 sits next to the running 3 (one run stays one); 0 is the least recently used.
    expect(harness.step().output.scheduled.find(({requestId}) => requestId === "fresh")?.sequenceIndex).toBe(2);
    addAll(harness.scheduler, [spec("fresh2", [9, 9])]);
    // "fresh" finished in sequence 2 one step ago: 2 is the most recently used, but still the one next to 3.
    expect(harness.step().output.scheduled.find(({requestId}) => requestId === "fresh2")?.sequenceIndex).toBe(2);
    harness.runUntilIdle();
    addAll(harness.scheduler, [spec("fresh3", [6, 6])]);
    // Nothing runs: the least recently used idle sequence, 0 (released first, never reused).
    expect(harness.step().output.scheduled.find(({requestId}) => requestId === "fresh3")?.sequenceIndex).toBe(0);
  });

  it("prefers a longer prefix over a less recently used sequence", () => {
    const harness = createHarness({numSequences: 2});
    const shared = promptTokens(3, 6);
    addAll(harness.scheduler, [spec("old", [9, 9, 9]), spec("recent", [...shared, 1], 2)]);
    harness.runUntilIdle();
    addAll(harness.scheduler, [spec("match", [...shared, 2])]);
    expect(harness.step().output.scheduled[0]).toMatchObject({sequenceIndex: 1, numComputedTokens: 6});
  });

  it("counts no hit for a request that shares nothing", () => {
    const harness = createHarness({numSequences: 1});
    addAll(harness.scheduler, [spec("a", promptTokens(4, 10)), spec("b", promptTokens(5, 10))]);
    harness.runUntilIdle();
    expect(harness.scheduler.stats).toMatchObject({numPrefixQueryTokensTotal: 20, numPrefixHitTokensTotal: 0});
  });
});
