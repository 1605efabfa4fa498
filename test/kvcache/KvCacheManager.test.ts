/**
 * The ledger's contract: regions and block tables, allocation refused past a region, prefix-aware
 * placement (longest prefix, token-level; ties to the least recently used, misses where they add the
 * fewest runs of consecutive running sequences, then to the least recently used), the last
 * token never reused, restores from the host tier, counters and usage.
 */

import {describe, expect, it} from "vitest";
import {KvCacheManager} from "../../kvcache/KvCacheManager.ts";
import type {KvCacheConfig} from "../../kvcache/types.ts";

function createLedger(overrides: Partial<KvCacheConfig> = {}): KvCacheManager {
  return new KvCacheManager({numSequences: 3, sequenceCapacity: 64, blockSize: 4, ...overrides});
}

function range(start: number, length: number): number[] {
  return Array.from({length}, (_, index) => start + index);
}

/** Places `tokens` where the ledger says, computes all of them, then frees the sequence; returns its index. */
function runToIdle(ledger: KvCacheManager, tokens: readonly number[]): number {
  const {sequenceIndex, numComputedTokens} = ledger.getComputedBlocks(tokens)!;
  ledger.allocateSlots({sequenceIndex, tokens, numComputedTokens, numNewTokens: tokens.length - numComputedTokens});
  ledger.free({sequenceIndex, numValidTokens: tokens.length});
  ledger.checkInvariants();
  return sequenceIndex;
}

/** Computes `tokens` from scratch in sequence `sequenceIndex`, which must be idle, then frees it. */
function fill(ledger: KvCacheManager, sequenceIndex: number, tokens: readonly number[]): void {
  ledger.allocateSlots({sequenceIndex, tokens, numComputedTokens: 0, numNewTokens: tokens.length});
  ledger.free({sequenceIndex, numValidTokens: tokens.length});
}

describe("KvCacheManager books", () => {
  it("cuts each sequence's region into blocks and hands them out as tokens arrive", () => {
    // 30 tokens a region in blocks of 4: 8 blocks per sequence, 24 in all.
    const ledger = createLedger({sequenceCapacity: 30});
    expect([ledger.numBlocksTotal, ledger.numUsedBlocks, ledger.usage()]).toEqual([24, 0, 0]);
    const tokens = range(100, 10);
    expect(ledger.allocateSlots({sequenceIndex: 1, tokens, numComputedTokens: 0, numNewTokens: 6})).toBe(true);
    expect(ledger.getSequences()[1]).toEqual({index: 1, isRunning: true, numTokens: 6, numBlocks: 2});
    ledger.checkInvariants();
    expect(ledger.allocateSlots({sequenceIndex: 1, tokens, numComputedTokens: 6, numNewTokens: 4})).toBe(true);
    expect([ledger.numUsedBlocks, ledger.usage()]).toEqual([3, 3 / 24]);
    expect(ledger.getSequences()[1]).toEqual({index: 1, isRunning: true, numTokens: 10, numBlocks: 3});
    // The invariants check that each table is the start of its sequence's region, in order.
    ledger.checkInvariants();
  });

  it("defaults to blocks of 16 tokens and rejects a malformed config", () => {
    expect(new KvCacheManager({numSequences: 2, sequenceCapacity: 1023}).numBlocksTotal).toBe(2 * 64);
    expect(() => createLedger({blockSize: 0})).toThrow(RangeError);
    expect(() => createLedger({numSequences: 1.5})).toThrow(RangeError);
    expect(() => createLedger({sequenceCapacity: 0})).toThrow(RangeError);
  });

  it("refuses past a sequence's region and changes nothing", () => {
    const ledger = createLedger({sequenceCapacity: 10});
    const tokens = range(0, 12);
    expect(ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 0, numNewTokens: 11})).toBe(false);
    expect(ledger.getSequences()[0]).toEqual({index: 0, isRunning: false, numTokens: 0, numBlocks: 0});
    expect(ledger.counters.numPrefixQueryTokensTotal).toBe(0);
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 0, numNewTokens: 8});
    expect(ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 8, numNewTokens: 3})).toBe(false);
    expect(ledger.getSequences()[0]).toMatchObject({numTokens: 8, numBlocks: 2});
    expect(ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 8, numNewTokens: 2})).toBe(true);
    expect(ledger.getSequences()[0]).toMatchObject({numTokens: 10, numBlocks: 3});
    ledger.checkInvariants();
  });

  it("rejects claims the sequence cannot back", () => {
    const ledger = createLedger();
    const tokens = range(0, 10);
    expect(() => ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 2, numNewTokens: 1})).toThrow(/shares 0 tokens/);
    expect(() => ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 0, numNewTokens: 11})).toThrow(/of 10 tokens/);
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 0, numNewTokens: 5});
    expect(() => ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 6, numNewTokens: 1})).toThrow(/holds 5 tokens/);
    expect(() => ledger.free({sequenceIndex: 0, numValidTokens: 6})).toThrow(/holds 5 tokens/);
    expect(() => ledger.free({sequenceIndex: 1, numValidTokens: 0})).toThrow(/not running/);
    expect(() => ledger.restoreIdle(0, [1])).toThrow(/running/);
    expect(() => ledger.allocateSlots({sequenceIndex: 3, tokens, numComputedTokens: 0, numNewTokens: 1})).toThrow(/no sequence 3/);
    ledger.checkInvariants();
  });

  it("rolls a running sequence back when fewer tokens are claimed computed than it holds", () => {
    const ledger = createLedger();
    const tokens = range(0, 9);
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 0, numNewTokens: 9});
    expect(ledger.getSequences()[0]).toMatchObject({numTokens: 9, numBlocks: 3});
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 8, numNewTokens: 1});
    ledger.checkInvariants();
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 3, numNewTokens: 0});
    expect(ledger.getSequences()[0]).toMatchObject({numTokens: 3, numBlocks: 1});
    expect(ledger.numUsedBlocks).toBe(1);
    ledger.checkInvariants();
  });

  it("keeps freed tokens resident but evictable, and counts them as free, not used", () => {
    const ledger = createLedger();
    runToIdle(ledger, range(0, 10));
    expect([ledger.numUsedBlocks, ledger.usage()]).toEqual([0, 0]);
    expect(ledger.getSequences()[0]).toEqual({index: 0, isRunning: false, numTokens: 10, numBlocks: 3});
    expect(ledger.getComputedBlocks([...range(0, 10), 5])).toEqual({sequenceIndex: 0, numComputedTokens: 10});
  });

  it("restores a saved state into an idle sequence, evicting what it held, and counts an eviction only when it held something", () => {
    const ledger = createLedger();
    runToIdle(ledger, range(0, 10));
    const saved = range(50, 9);
    ledger.restoreIdle(0, saved);
    ledger.checkInvariants();
    expect(ledger.getSequences()[0]).toEqual({index: 0, isRunning: false, numTokens: 9, numBlocks: 3});
    expect([ledger.numUsedBlocks, ledger.counters.numEvictionsTotal]).toEqual([0, 1]);
    // Restored blocks are findable by hash like any cached prefix.
    expect(ledger.getComputedBlocks([...saved, 1])).toEqual({sequenceIndex: 0, numComputedTokens: 9});
    ledger.restoreIdle(1, []);
    expect(ledger.counters.numEvictionsTotal).toBe(1);
    ledger.restoreIdle(0, []);
    expect(ledger.getSequences()[0]).toEqual({index: 0, isRunning: false, numTokens: 0, numBlocks: 0});
    expect(ledger.counters.numEvictionsTotal).toBe(2);
    expect(() => ledger.restoreIdle(0, range(0, 65))).toThrow(RangeError);
    ledger.checkInvariants();
  });

  it("keeps only the valid tokens on free, and nothing after a fault", () => {
    const ledger = createLedger();
    const tokens = range(0, 12);
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 0, numNewTokens: 12});
    ledger.free({sequenceIndex: 0, numValidTokens: 6});
    expect(ledger.getSequences()[0]).toMatchObject({numTokens: 6, numBlocks: 2});
    ledger.checkInvariants();
    ledger.allocateSlots({sequenceIndex: 1, tokens, numComputedTokens: 0, numNewTokens: 12});
    ledger.free({sequenceIndex: 1, numValidTokens: 0});
    expect(ledger.getSequences()[1]).toMatchObject({numTokens: 0, numBlocks: 0});
    ledger.checkInvariants();
  });
});

describe("KvCacheManager placement", () => {
  it("finds the idle sequence holding the longest prefix, to the token", () => {
    const ledger = createLedger({numSequences: 4});
    const base = range(1000, 40);
    // Sequences 0..2 share 9, 21 and 13 tokens with `base`; sequence 3 stays empty.
    fill(ledger, 0, [...base.slice(0, 9), 1, 1, 1]);
    fill(ledger, 1, [...base.slice(0, 21), 2]);
    fill(ledger, 2, [...base.slice(0, 13), 3, 3]);
    ledger.checkInvariants();
    expect(ledger.getComputedBlocks(base)).toEqual({sequenceIndex: 1, numComputedTokens: 21});
    // 1 and 2 both hold all 12; 1 is the less recently used.
    expect(ledger.getComputedBlocks([...base.slice(0, 12), 0])).toEqual({sequenceIndex: 1, numComputedTokens: 12});
    expect(ledger.getComputedBlocks([...base.slice(0, 10), 3])).toEqual({sequenceIndex: 1, numComputedTokens: 10});
    expect(ledger.getComputedBlocks([...base.slice(0, 13), 3, 5])).toEqual({sequenceIndex: 2, numComputedTokens: 14});
    // Shorter than a block: no hash to follow, tokens alone decide.
    expect(ledger.getComputedBlocks([...base.slice(0, 2), 5])).toEqual({sequenceIndex: 0, numComputedTokens: 2});
    expect(ledger.counters).toEqual({numPrefixQueryTokensTotal: 12 + 22 + 15, numPrefixHitTokensTotal: 0, numEvictionsTotal: 0});
  });

  it("sends ties and misses to the least recently used idle sequence", () => {
    const ledger = createLedger({numSequences: 3});
    expect(ledger.getComputedBlocks([7, 7])).toEqual({sequenceIndex: 0, numComputedTokens: 0});
    // All three hold the same first 5 tokens; they were freed in the order 2, 0, 1.
    const shared = [9, 9, 9, 9, 9];
    for (const index of [2, 0, 1]) ledger.allocateSlots({sequenceIndex: index, tokens: [...shared, index], numComputedTokens: 0, numNewTokens: 6});
    for (const index of [2, 0, 1]) ledger.free({sequenceIndex: index, numValidTokens: 6});
    expect(ledger.getComputedBlocks([...shared, 5])).toEqual({sequenceIndex: 2, numComputedTokens: 5});
    expect(ledger.getComputedBlocks([7, 7])).toEqual({sequenceIndex: 2, numComputedTokens: 0});
    fill(ledger, 2, [7, 7]);
    expect(ledger.getComputedBlocks([...shared, 5])).toEqual({sequenceIndex: 0, numComputedTokens: 5});
    expect(ledger.getComputedBlocks([8])).toEqual({sequenceIndex: 0, numComputedTokens: 0});
    ledger.checkInvariants();
  });

  it("sends a miss where it adds the fewest runs of consecutive running sequences, then to the least recently used", () => {
    const ledger = createLedger({numSequences: 6});
    const run = (index: number) => ledger.allocateSlots({sequenceIndex: index, tokens: [40 + index], numComputedTokens: 0, numNewTokens: 1});
    // Sequence 5 was used and freed (least recent among idle ones is still an empty one).
    fill(ledger, 5, [9, 9]);
    run(0);
    run(2);
    // 1 fills the hole between 0 and 2; LRU alone would pick 1 too, so make 1 the most recently used first.
    fill(ledger, 1, [8, 8]);
    expect(ledger.getComputedBlocks([7, 7])).toEqual({sequenceIndex: 1, numComputedTokens: 0});
    run(1);
    // Now 0-2 run: 3 extends the run (empty, never used); 4 and 5 would open a new one.
    expect(ledger.getComputedBlocks([7, 7])).toEqual({sequenceIndex: 3, numComputedTokens: 0});
    run(3);
    ledger.free({sequenceIndex: 1, numValidTokens: 1});
    // A hole at 1 again: it beats 4 (extends) and 5.
    expect(ledger.getComputedBlocks([7, 7])).toEqual({sequenceIndex: 1, numComputedTokens: 0});
    ledger.checkInvariants();
  });

  it("prefers a longer prefix over a less recently used sequence, and ignores running sequences", () => {
    const ledger = createLedger({numSequences: 3});
    const shared = range(50, 8);
    runToIdle(ledger, [1, 2, 3]);
    runToIdle(ledger, [...shared, 1]);
    expect(ledger.getComputedBlocks([...shared, 2])).toEqual({sequenceIndex: 1, numComputedTokens: 8});
    ledger.allocateSlots({sequenceIndex: 1, tokens: [...shared, 1], numComputedTokens: 8, numNewTokens: 1});
    expect(ledger.getComputedBlocks([...shared, 2])).toEqual({sequenceIndex: 2, numComputedTokens: 0});
    ledger.allocateSlots({sequenceIndex: 0, tokens: [4], numComputedTokens: 0, numNewTokens: 1});
    ledger.allocateSlots({sequenceIndex: 2, tokens: [4], numComputedTokens: 0, numNewTokens: 1});
    expect(ledger.getComputedBlocks(shared)).toBeNull();
  });

  it("never reports the last token as computed", () => {
    const ledger = createLedger();
    const tokens = range(0, 12);
    runToIdle(ledger, [...tokens, 99]);
    expect(ledger.getComputedBlocks([...tokens, 99, 5])).toEqual({sequenceIndex: 0, numComputedTokens: 13});
    expect(ledger.getComputedBlocks(tokens)).toEqual({sequenceIndex: 0, numComputedTokens: 11});
    expect(ledger.getComputedBlocks(tokens.slice(0, 8))).toEqual({sequenceIndex: 0, numComputedTokens: 7});
    expect(ledger.getComputedBlocks([0])).toEqual({sequenceIndex: 0, numComputedTokens: 0});
    expect(() => ledger.getComputedBlocks([])).toThrow(RangeError);
  });

  it("counts queries and hits at placement, and an eviction only when the request diverges", () => {
    const ledger = createLedger({numSequences: 1});
    const tokens = range(0, 10);
    runToIdle(ledger, tokens);
    // The same tokens again: 9 reused, the 10th recomputed; nothing was overwritten.
    runToIdle(ledger, tokens);
    expect(ledger.counters).toEqual({numPrefixQueryTokensTotal: 20, numPrefixHitTokensTotal: 9, numEvictionsTotal: 0});
    // An extension overwrites nothing either.
    runToIdle(ledger, [...tokens, 10, 11]);
    expect(ledger.counters).toEqual({numPrefixQueryTokensTotal: 32, numPrefixHitTokensTotal: 19, numEvictionsTotal: 0});
    // Diverging after 5 tokens overwrites the other 7.
    runToIdle(ledger, [...tokens.slice(0, 5), 77]);
    expect(ledger.counters).toEqual({numPrefixQueryTokensTotal: 38, numPrefixHitTokensTotal: 24, numEvictionsTotal: 1});
    expect(ledger.getSequences()[0]).toMatchObject({numTokens: 6, numBlocks: 2});
  });
});
