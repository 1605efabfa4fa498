/**
 * The scheduler over its KV ledger: block usage and eviction stats, the block-size and cache-salt
 * config, and placement that stays token-exact whatever the block size (blocks only do the books).
 */

import fc from "fast-check";
import {describe, expect, it} from "vitest";
import type {SchedulerRequestSpec} from "../../scheduler/types.ts";
import {addAll, createHarness, createScheduler, promptTokens, referenceOutput} from "../utils/schedulerBuilders.ts";

function spec(id: string, tokens: readonly number[], maxTokens = 1): SchedulerRequestSpec {
  return {id, promptTokens: tokens, maxTokens, priority: 0, arrivalMs: 0};
}

describe("KV stats", () => {
  it("reports blocks held by running requests, and none once they finish", () => {
    const harness = createHarness({numSequences: 2, sequenceCapacity: 30, blockSize: 4, maxNumBatchedTokens: 64});
    expect(harness.scheduler.stats).toMatchObject({kvUsage: 0, numKvBlocksUsed: 0, numKvBlocksTotal: 2 * 8});
    addAll(harness.scheduler, [spec("a", promptTokens(1, 10), 3), spec("b", promptTokens(2, 3), 3)]);
    // While the step is in flight its tokens are already allocated: 10 -> 3 blocks, 3 -> 1 block.
    const output = harness.scheduler.schedule();
    expect(harness.scheduler.stats).toMatchObject({numKvBlocksUsed: 4, kvUsage: 4 / 16});
    harness.scheduler.update(output, harness.executor.execute(output));
    harness.scheduler.checkInvariants();
    harness.step();
    // 11 and 4 tokens computed.
    expect(harness.scheduler.stats).toMatchObject({numKvBlocksUsed: 3 + 1, kvUsage: 4 / 16});
    harness.step();
    expect(harness.scheduler.stats).toMatchObject({numKvBlocksUsed: 0, kvUsage: 0, numFreeSequences: 2});
  });

  it("counts an eviction when a placement overwrites a diverging idle sequence, not when it extends or resumes one", () => {
    const harness = createHarness({numSequences: 1, blockSize: 4});
    const base = promptTokens(3, 12);
    // One output token each, so a sequence is left holding exactly its prompt.
    addAll(harness.scheduler, [spec("a", base)]);
    harness.runUntilIdle();
    addAll(harness.scheduler, [spec("extends", [...base, 7, 7])]);
    harness.runUntilIdle();
    addAll(harness.scheduler, [spec("same", [...base, 7, 7])]);
    harness.runUntilIdle();
    expect(harness.scheduler.stats.numPrefixEvictionsTotal).toBe(0);
    addAll(harness.scheduler, [spec("diverges", [...base.slice(0, 6), 1])]);
    expect(harness.step().output.scheduled[0]).toMatchObject({numComputedTokens: 6, tokens: [1]});
    expect(harness.scheduler.stats.numPrefixEvictionsTotal).toBe(1);
  });

  it("rejects a malformed block size", () => {
    expect(() => createScheduler({blockSize: 0})).toThrow(RangeError);
    expect(() => createScheduler({blockSize: 2.5})).toThrow(RangeError);
  });
});

describe("placement under any block size", () => {
  it("makes the same decisions, step by step, for block sizes 1, 3 and 16", () => {
    const arrivalArbitrary = fc.record({
      family: fc.integer({min: 0, max: 2}),
      numFamilyTokens: fc.integer({min: 0, max: 40}),
      numOwnTokens: fc.integer({min: 0, max: 6}),
      maxTokens: fc.integer({min: 1, max: 12})
    });
    let numHitTokens = 0;
    fc.assert(fc.property(fc.array(fc.array(arrivalArbitrary, {maxLength: 3}), {minLength: 1, maxLength: 30}), (waves) => {
      const runs = [1, 3, 16].map((blockSize) => {
        const harness = createHarness({numSequences: 3, sequenceCapacity: 64, maxNumBatchedTokens: 24, blockSize});
        const outputs: unknown[] = [];
        waves.forEach((arrivals, waveIndex) => {
          addAll(harness.scheduler, arrivals.map((arrival, index) => spec(
            `w${waveIndex}-${index}`,
            [...promptTokens(arrival.family, arrival.numFamilyTokens), ...promptTokens(100 + waveIndex * 3 + index, arrival.numOwnTokens + 1)],
            arrival.maxTokens
          )));
          outputs.push(harness.step());
        });
        outputs.push(harness.runUntilIdle());
        return {outputs, stats: harness.scheduler.stats};
      });
      expect(runs[1]!.outputs).toEqual(runs[0]!.outputs);
      expect(runs[2]!.outputs).toEqual(runs[0]!.outputs);
      const {numPrefixHitTokensTotal, numPrefixQueryTokensTotal, numPrefixEvictionsTotal} = runs[0]!.stats;
      expect(runs[2]!.stats).toMatchObject({numPrefixHitTokensTotal, numPrefixQueryTokensTotal, numPrefixEvictionsTotal});
      numHitTokens += numPrefixHitTokensTotal;
    }), {numRuns: 40, seed: 11});
    // The workload must keep finding cached prefixes, or the comparison proves little.
    expect(numHitTokens).toBeGreaterThan(600);
  });

  it("reuses a prefix found through full blocks and a partial one, and samples what an uninterrupted run would", () => {
    const harness = createHarness({numSequences: 2, blockSize: 4});
    const base = promptTokens(5, 20);
    addAll(harness.scheduler, [spec("a", [...base.slice(0, 14), 1]), spec("b", [...base.slice(0, 9), 2])]);
    harness.runUntilIdle();
    const next = spec("next", [...base, 3], 5);
    addAll(harness.scheduler, [next]);
    expect(harness.step().output.scheduled[0]).toMatchObject({sequenceIndex: 0, numComputedTokens: 14});
    expect(harness.runUntilIdle()[0]?.outputTokens).toEqual(referenceOutput(next, 5));
  });
});
