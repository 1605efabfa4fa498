/**
 * The ledger against a plain model under thousands of random placements, extensions, rollbacks,
 * frees, host-tier restores (which evict) and lookups: after every operation its own invariants hold
 * (no block in two tables, each block's state matching its sequence, hashes right) and it agrees with
 * the model on every sequence's content and block count, every placement choice, the used blocks and
 * the counters. Tokens come from a three-letter alphabet, so prompts share prefixes (and ties) of
 * every length.
 */

import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {KvCacheManager} from "../../kvcache/KvCacheManager.ts";

interface ModelSequence {
  isRunning: boolean;
  tokens: number[];
  lastUsedTick: number;
}

const tokensArbitrary = (minLength: number, maxLength: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({min: 0, max: 2}), {minLength, maxLength, size: "max"});

/** A few fixed prompt stems, so that placements share long prefixes (several blocks) as well as short ones. */
const STEMS = [0, 1].map((stem) => Array.from({length: 30}, (_, position) => (position + stem) % 3));

/** A stem cut anywhere, then a random tail. */
const promptArbitrary = fc.tuple(fc.constantFrom(...STEMS), fc.oneof(fc.integer({min: 0, max: 30}), fc.constant(30)), tokensArbitrary(0, 10))
  .map(([stem, numStemTokens, tail]) => [...stem.slice(0, numStemTokens), ...tail])
  .filter((tokens) => tokens.length > 0);

/** A number once in `every` draws, null otherwise. */
const sometimes = (every: number): fc.Arbitrary<number | null> =>
  fc.oneof({weight: every - 1, arbitrary: fc.constant(null)}, {weight: 1, arbitrary: fc.nat()});

const operationArbitrary = fc.oneof(
  {weight: 4, arbitrary: fc.record({kind: fc.constant("place" as const), tokens: promptArbitrary, newPick: sometimes(3), reusePick: sometimes(4)})},
  {weight: 3, arbitrary: fc.record({kind: fc.constant("extend" as const), pick: fc.nat(), rollbackPick: sometimes(3), tokens: tokensArbitrary(0, 12)})},
  {weight: 4, arbitrary: fc.record({kind: fc.constant("free" as const), pick: fc.nat(), validPick: sometimes(3)})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant("restore" as const), pick: fc.nat(), tokens: fc.oneof(fc.constant([]), promptArbitrary)})},
  {weight: 1, arbitrary: fc.record({kind: fc.constant("query" as const), tokens: promptArbitrary})}
);

const configArbitrary = fc.record({
  numSequences: fc.integer({min: 1, max: 5}),
  sequenceCapacity: fc.oneof({weight: 1, arbitrary: fc.integer({min: 1, max: 12})}, {weight: 3, arbitrary: fc.integer({min: 24, max: 48})}),
  blockSize: fc.integer({min: 1, max: 6})
});

function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}

describe("KvCacheManager under random operations", () => {
  it("keeps its invariants and agrees with a plain model", () => {
    const coverage = {numOperations: 0, numBlockHits: 0, numRefusals: 0, numEvictions: 0, numTies: 0, numRollbacks: 0};
    fc.assert(fc.property(configArbitrary, fc.array(operationArbitrary, {minLength: 1, maxLength: 40, size: "max"}), (config, operations) => {
      const ledger = new KvCacheManager(config);
      const model: ModelSequence[] = Array.from({length: config.numSequences}, () => ({isRunning: false, tokens: [], lastUsedTick: 0}));
      const counters = {numPrefixQueryTokensTotal: 0, numPrefixHitTokensTotal: 0, numEvictionsTotal: 0};
      let tick = 0;
      const indices = (isRunning: boolean): number[] => model.flatMap((sequence, index) => (sequence.isRunning === isRunning ? [index] : []));
      /** The sequence an operation's `pick` names among the running (or idle) ones; null when there is none. */
      const pickIndex = (isRunning: boolean, pick: number): number | null => {
        const candidates = indices(isRunning);
        return candidates.length === 0 ? null : candidates[pick % candidates.length]!;
      };
      const numBlocks = (tokens: readonly number[]): number => Math.ceil(tokens.length / config.blockSize);

      /**
       * The model's placement: longest common prefix, then the fewest runs of consecutive running
       * sequences added, then least recently used, then lowest index.
       */
      const runsAdded = (index: number): number => 1 - [index - 1, index + 1].filter((at) => model[at]?.isRunning === true).length;
      const expectedMatch = (tokens: readonly number[]): {sequenceIndex: number; numCachedTokens: number} | null => {
        let best: {sequenceIndex: number; numCachedTokens: number} | null = null;
        for (const index of indices(false)) {
          const length = commonPrefixLength(model[index]!.tokens, tokens);
          if (best === null || length > best.numCachedTokens) best = {sequenceIndex: index, numCachedTokens: length};
          else if (length === best.numCachedTokens) {
            coverage.numTies++;
            const runsDifference = runsAdded(index) - runsAdded(best.sequenceIndex);
            const isBetter = runsDifference < 0 || (runsDifference === 0 && model[index]!.lastUsedTick < model[best.sequenceIndex]!.lastUsedTick);
            if (isBetter) best = {sequenceIndex: index, numCachedTokens: length};
          }
        }
        return best;
      };

      for (const operation of operations) {
        coverage.numOperations++;
        switch (operation.kind) {
          case "place": {
            const {tokens} = operation;
            const match = expectedMatch(tokens);
            const computed = ledger.getComputedBlocks(tokens);
            if (match === null) {
              expect(computed).toBeNull();
              break;
            }
            const numComputedExpected = Math.min(match.numCachedTokens, tokens.length - 1);
            expect(computed).toEqual({sequenceIndex: match.sequenceIndex, numComputedTokens: numComputedExpected});
            // Reusing less than offered is allowed too.
            const numComputedTokens = numComputedExpected - (operation.reusePick ?? 0) % (numComputedExpected + 1);
            const numNewTokens = operation.newPick === null ? tokens.length - numComputedTokens : operation.newPick % (tokens.length - numComputedTokens + 1);
            const sequence = model[match.sequenceIndex]!;
            const allocation = ledger.allocateSlots({sequenceIndex: match.sequenceIndex, tokens, numComputedTokens, numNewTokens});
            if (numComputedTokens + numNewTokens > config.sequenceCapacity) {
              coverage.numRefusals++;
              expect(allocation).toBe(false);
              break;
            }
            expect(allocation).toBe(true);
            if (numComputedTokens >= config.blockSize) coverage.numBlockHits++;
            counters.numPrefixQueryTokensTotal += tokens.length;
            counters.numPrefixHitTokensTotal += numComputedTokens;
            if (match.numCachedTokens < sequence.tokens.length) counters.numEvictionsTotal++;
            Object.assign(sequence, {isRunning: true, tokens: tokens.slice(0, numComputedTokens + numNewTokens), lastUsedTick: ++tick});
            break;
          }
          case "extend": {
            const sequenceIndex = pickIndex(true, operation.pick);
            if (sequenceIndex === null) break;
            const sequence = model[sequenceIndex]!;
            const numComputedTokens = sequence.tokens.length - (operation.rollbackPick ?? 0) % (sequence.tokens.length + 1);
            if (numComputedTokens < sequence.tokens.length) coverage.numRollbacks++;
            const tokens = [...sequence.tokens.slice(0, numComputedTokens), ...operation.tokens];
            const allocation = ledger.allocateSlots({sequenceIndex, tokens, numComputedTokens, numNewTokens: operation.tokens.length});
            if (tokens.length > config.sequenceCapacity) {
              coverage.numRefusals++;
              expect(allocation).toBe(false);
              break;
            }
            expect(allocation).toBe(true);
            sequence.tokens = tokens;
            break;
          }
          case "free": {
            const sequenceIndex = pickIndex(true, operation.pick);
            if (sequenceIndex === null) break;
            const sequence = model[sequenceIndex]!;
            const numValidTokens = operation.validPick === null ? sequence.tokens.length : operation.validPick % (sequence.tokens.length + 1);
            ledger.free({sequenceIndex, numValidTokens});
            Object.assign(sequence, {isRunning: false, tokens: sequence.tokens.slice(0, numValidTokens), lastUsedTick: ++tick});
            break;
          }
          case "restore": {
            const sequenceIndex = pickIndex(false, operation.pick);
            if (sequenceIndex === null) break;
            const sequence = model[sequenceIndex]!;
            const tokens = operation.tokens.slice(0, config.sequenceCapacity);
            ledger.restoreIdle(sequenceIndex, tokens);
            if (sequence.tokens.length > 0) counters.numEvictionsTotal++;
            Object.assign(sequence, {tokens, lastUsedTick: ++tick});
            break;
          }
          case "query": {
            const match = expectedMatch(operation.tokens);
            const numComputedTokens = Math.min(match?.numCachedTokens ?? 0, operation.tokens.length - 1);
            expect(ledger.getComputedBlocks(operation.tokens)).toEqual(match && {sequenceIndex: match.sequenceIndex, numComputedTokens});
            break;
          }
        }

        ledger.checkInvariants();
        expect(ledger.getSequences()).toEqual(model.map(({isRunning, tokens}, index) => ({index, isRunning, numTokens: tokens.length, numBlocks: numBlocks(tokens)})));
        const numUsed = indices(true).reduce((sum, index) => sum + numBlocks(model[index]!.tokens), 0);
        expect(ledger.numUsedBlocks).toBe(numUsed);
        expect(ledger.usage()).toBe(numUsed / ledger.numBlocksTotal);
        expect(ledger.counters).toEqual(counters);
      }
      coverage.numEvictions += counters.numEvictionsTotal;
    }), {numRuns: 1_000, seed: 20_250_107});
    // The generators must keep reaching every path.
    expect(coverage.numOperations).toBeGreaterThan(15_000);
    expect(coverage.numBlockHits).toBeGreaterThan(300);
    expect(coverage.numRefusals).toBeGreaterThan(1_000);
    expect(coverage.numEvictions).toBeGreaterThan(500);
    expect(coverage.numTies).toBeGreaterThan(3_000);
    expect(coverage.numRollbacks).toBeGreaterThan(200);
  });
});
