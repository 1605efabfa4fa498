/**
 * The per-step token budget: never exceeded, fully used while prefill waits, prompts split into
 * chunks, and decodes always served first.
 */

import {describe, expect, it} from "vitest";
import {addAll, createHarness, createRequests, promptTokens} from "../utils/schedulerBuilders.ts";

describe("token budget", () => {
  it("never feeds more than maxNumBatchedTokens and uses the whole budget while prefill is pending", () => {
    const budget = 24;
    const harness = createHarness({numSequences: 3, maxNumBatchedTokens: budget, sequenceCapacity: 200});
    addAll(harness.scheduler, createRequests(9, (index) => ({promptTokens: promptTokens(index, 10 + 13 * index), maxTokens: 5 + index})));
    let numFullSteps = 0;
    while (harness.scheduler.hasWork()) {
      const {output} = harness.step();
      const numTokens = output.scheduled.reduce((sum, {tokens}) => sum + tokens.length, 0);
      expect(numTokens).toBe(output.numScheduledTokens);
      expect(numTokens).toBeLessThanOrEqual(budget);
      if (numTokens === budget) numFullSteps++;
      // Work-conserving: budget is left over only when no running request has more than one token left.
      if (numTokens < budget) expect(output.scheduled.every(({isSampling}) => isSampling)).toBe(true);
    }
    expect(numFullSteps).toBeGreaterThan(10);
  });

  it("splits a prompt into budget-sized chunks that continue where the last one ended", () => {
    const harness = createHarness({numSequences: 1, maxNumBatchedTokens: 16});
    const [spec] = createRequests(1, {promptTokens: promptTokens(1, 40), maxTokens: 2});
    addAll(harness.scheduler, [spec!]);
    const chunks = [harness.step(), harness.step(), harness.step()].map(({output}) => output.scheduled[0]!);
    expect(chunks.map(({numComputedTokens, tokens, isSampling, isNewlyPlaced}) => [numComputedTokens, tokens.length, isSampling, isNewlyPlaced]))
      .toEqual([[0, 16, false, true], [16, 16, false, false], [32, 8, true, false]]);
    expect(chunks.flatMap(({tokens}) => tokens)).toEqual(spec!.promptTokens);
  });
});

describe("decode-first", () => {
  it("keeps every running decode in every step while a 4,000-token prompt is prefilled", () => {
    const budget = 256;
    const harness = createHarness({numSequences: 4, maxNumBatchedTokens: budget, sequenceCapacity: 8192});
    addAll(harness.scheduler, createRequests(3, {maxTokens: 100}));
    harness.step();
    expect(harness.scheduler.getSequences().filter(({ownerId}) => ownerId !== null)).toHaveLength(3);

    const longPrompt = promptTokens(99, 4000);
    addAll(harness.scheduler, [{id: "long", promptTokens: longPrompt, maxTokens: 4, priority: 0, arrivalMs: 1}]);
    const longChunks: number[] = [];
    for (let isLongPrefilled = false; !isLongPrefilled;) {
      const {output} = harness.step();
      const decodes = output.scheduled.filter(({requestId}) => requestId !== "long");
      expect(decodes.map(({requestId}) => requestId).sort()).toEqual(["r0", "r1", "r2"]);
      expect(decodes.every(({tokens, isSampling}) => tokens.length === 1 && isSampling)).toBe(true);
      const longEntry = output.scheduled.find(({requestId}) => requestId === "long")!;
      longChunks.push(longEntry.tokens.length);
      isLongPrefilled = longEntry.isSampling;
    }
    const chunkSize = budget - 3;
    expect(longChunks).toHaveLength(Math.ceil(4000 / chunkSize));
    expect(longChunks.slice(0, -1).every((size) => size === chunkSize)).toBe(true);
    expect(longChunks.reduce((sum, size) => sum + size, 0)).toBe(4000);
    // Then the long request decodes alongside the others.
    expect(harness.step().output.scheduled.map(({tokens}) => tokens.length)).toEqual([1, 1, 1, 1]);
  });

  it("gives the budget to decodes before a prefill admitted earlier", () => {
    const harness = createHarness({numSequences: 2, maxNumBatchedTokens: 8});
    addAll(harness.scheduler, createRequests(1, {promptTokens: [5], maxTokens: 10}));
    harness.step();
    addAll(harness.scheduler, [{id: "big", promptTokens: promptTokens(3, 30), maxTokens: 1, priority: 0, arrivalMs: 1}]);
    for (let step = 0; step < 4; step++) {
      const {output} = harness.step();
      expect(output.scheduled.map(({requestId, tokens}) => [requestId, tokens.length])).toEqual([["r0", 1], ["big", 7]]);
    }
  });
});
