/**
 * The ledger's contract: regions and block tables, allocation refused past a region, prefix-aware
 * placement (longest prefix, token-level; ties to the least recently used, misses where they add the
 * fewest runs of consecutive running sequences, then to the least recently used), the last
 * token never reused, counters and usage.
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
  it("cuts each sequence's region into blocks and hands them out in order", () => {
    const ledger = createLedger({sequenceCapacity: 30});
    expect([ledger.numBlocksPerSequence, ledger.numBlocksTotal, ledger.numFreeBlocks, ledger.usage()]).toEqual([8, 24, 24, 0]);
    const tokens = range(100, 10);
    const allocation = ledger.allocateSlots({sequenceIndex: 1, tokens, numComputedTokens: 0, numNewTokens: 6});
    expect(allocation).toEqual({sequenceIndex: 1, numTokens: 6, newBlockIds: [8, 9]});
    expect(ledger.allocateSlots({sequenceIndex: 1, tokens, numComputedTokens: 6, numNewTokens: 4})).toEqual({sequenceIndex: 1, numTokens: 10, newBlockIds: [10]});
    expect(ledger.getBlockTable(1)).toEqual([8, 9, 10]);
    expect([ledger.numUsedBlocks, ledger.numFreeBlocks, ledger.usage()]).toEqual([3, 21, 3 / 24]);
    expect(ledger.getSequences()[1]).toEqual({index: 1, isRunning: true, numTokens: 10, numBlocks: 3});
    ledger.checkInvariants();
  });

  it("defaults to blocks of 16 tokens and rejects a malformed config", () => {
    expect(new KvCacheManager({numSequences: 2, sequenceCapacity: 1023}).numBlocksTotal).toBe(2 * 64);
    expect(() => createLedger({blockSize: 0})).toThrow(RangeError);
    expect(() => createLedger({numSequences: 1.5})).toThrow(RangeError);
    expect(() => createLedger({sequenceCapacity: 0})).toThrow(RangeError);
  });

  it("returns null past a sequence's region and changes nothing", () => {
    const ledger = createLedger({sequenceCapacity: 10});
    const tokens = range(0, 12);
    expect(ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 0, numNewTokens: 11})).toBeNull();
    expect(ledger.getSequences()[0]).toEqual({index: 0, isRunning: false, numTokens: 0, numBlocks: 0});
    expect(ledger.counters.numPrefixQueryTokensTotal).toBe(0);
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 0, numNewTokens: 8});
    expect(ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 8, numNewTokens: 3})).toBeNull();
    expect(ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 8, numNewTokens: 2})?.numTokens).toBe(10);
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
    expect(() => ledger.evict(0)).toThrow(/running/);
    expect(() => ledger.allocateSlots({sequenceIndex: 3, tokens, numComputedTokens: 0, numNewTokens: 1})).toThrow(/no sequence 3/);
    ledger.checkInvariants();
  });

  it("rolls a running sequence back when fewer tokens are claimed computed than it holds", () => {
    const ledger = createLedger();
    const tokens = range(0, 9);
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 0, numNewTokens: 9});
    expect(ledger.getBlockTable(0)).toEqual([0, 1, 2]);
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 8, numNewTokens: 1});
    ledger.checkInvariants();
    ledger.allocateSlots({sequenceIndex: 0, tokens, numComputedTokens: 3, numNewTokens: 0});
    expect(ledger.getBlockTable(0)).toEqual([0]);
    ledger.checkInvariants();
  });

  it("keeps freed tokens resident but evictable, and counts them as free, not used", () => {
    const ledger = createLedger();
    runToIdle(ledger, range(0, 10));
    expect([ledger.numUsedBlocks, ledger.numCachedBlocks, ledger.numFreeBlocks, ledger.usage()]).toEqual([0, 3, ledger.numBlocksTotal, 0]);
    expect(ledger.getSequences()[0]).toEqual({index: 0, isRunning: false, numTokens: 10, numBlocks: 3});
    expect(ledger.evict(0)).toBe(3);
    expect(ledger.numCachedBlocks).toBe(0);
    expect(ledger.counters.numEvictionsTotal).toBe(1);
    expect(ledger.evict(0)).toBe(0);
    expect(ledger.counters.numEvictionsTotal).toBe(1);
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
    expect(ledger.findLongestPrefix(base)).toEqual({sequenceIndex: 1, numCachedTokens: 21});
    expect(ledger.findLongestPrefix(base.slice(0, 12))).toEqual({sequenceIndex: 1, numCachedTokens: 12});
    expect(ledger.findLongestPrefix([...base.slice(0, 10), 3])).toEqual({sequenceIndex: 1, numCachedTokens: 10});
    expect(ledger.findLongestPrefix([...base.slice(0, 13), 3])).toEqual({sequenceIndex: 2, numCachedTokens: 14});
    // Shorter than a block: no hash to follow, tokens alone decide.
    expect(ledger.findLongestPrefix([...base.slice(0, 2), 5])).toEqual({sequenceIndex: 0, numCachedTokens: 2});
    expect(ledger.counters).toEqual({numPrefixQueryTokensTotal: 12 + 22 + 15, numPrefixHitTokensTotal: 0, numEvictionsTotal: 0});
  });

  it("sends ties and misses to the least recently used idle sequence", () => {
    const ledger = createLedger({numSequences: 3});
    expect(ledger.findLongestPrefix([7, 7])).toEqual({sequenceIndex: 0, numCachedTokens: 0});
    // All three hold the same first 5 tokens; they were freed in the order 2, 0, 1.
    const shared = [9, 9, 9, 9, 9];
    for (const index of [2, 0, 1]) ledger.allocateSlots({sequenceIndex: index, tokens: [...shared, index], numComputedTokens: 0, numNewTokens: 6});
    for (const index of [2, 0, 1]) ledger.free({sequenceIndex: index, numValidTokens: 6});
    expect(ledger.findLongestPrefix([...shared, 5])).toEqual({sequenceIndex: 2, numCachedTokens: 5});
    expect(ledger.findLongestPrefix([7, 7])).toEqual({sequenceIndex: 2, numCachedTokens: 0});
    fill(ledger, 2, [7, 7]);
    expect(ledger.findLongestPrefix([...shared, 5])).toEqual({sequenceIndex: 0, numCachedTokens: 5});
    expect(ledger.findLongestPrefix([8])).toEqual({sequenceIndex: 0, numCachedTokens: 0});
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
    expect(ledger.findLongestPrefix([7, 7])).toEqual({sequenceIndex: 1, numCachedTokens: 0});
    run(1);
    // Now 0-2 run: 3 extends the run (empty, never used); 4 and 5 would open a new one.
    expect(ledger.findLongestPrefix([7, 7])).toEqual({sequenceIndex: 3, numCachedTokens: 0});
    run(3);
    ledger.free({sequenceIndex: 1, numValidTokens: 1});
    // A hole at 1 again: it beats 4 (extends) and 5.
    expect(ledger.findLongestPrefix([7, 7])).toEqual({sequenceIndex: 1, numCachedTokens: 0});
    ledger.checkInvariants();
  });

  it("prefers a longer prefix over a less recently used sequence, and ignores running sequences", () => {
    const ledger = createLedger({numSequences: 3});
    const shared = range(50, 8);
    runToIdle(ledger, [1, 2, 3]);
    runToIdle(ledger, [...shared, 1]);
    expect(ledger.findLongestPrefix([...shared, 2])).toEqual({sequenceIndex: 1, numCachedTokens: 8});
    ledger.allocateSlots({sequenceIndex: 1, tokens: [...shared, 1], numComputedTokens: 8, numNewTokens: 1});
    expect(ledger.findLongestPrefix([...shared, 2])).toEqual({sequenceIndex: 2, numCachedTokens: 0});
    ledger.allocateSlots({sequenceIndex: 0, tokens: [4], numComputedTokens: 0, numNewTokens: 1});
    ledger.allocateSlots({sequenceIndex: 2, tokens: [4], numComputedTokens: 0, numNewTokens: 1});
    expect(ledger.findLongestPrefix(shared)).toBeNull();
    expect(ledger.getComputedBlocks(shared)).toBeNull();
  });

  it("never reports the last token as computed", () => {
    const ledger = createLedger();
    const tokens = range(0, 12);
    runToIdle(ledger, [...tokens, 99]);
    expect(ledger.findLongestPrefix(tokens)).toEqual({sequenceIndex: 0, numCachedTokens: 12});
    expect(ledger.getComputedBlocks(tokens)).toEqual({sequenceIndex: 0, numComputedTokens: 11, blockIds: [0, 1, 2]});
    expect(ledger.getComputedBlocks(tokens.slice(0, 8))).toEqual({sequenceIndex: 0, numComputedTokens: 7, blockIds: [0, 1]});
    expect(ledger.getComputedBlocks([0])).toEqual({sequenceIndex: 0, numComputedTokens: 0, blockIds: []});
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

  it("hashes with the cache salt without changing where requests go", () => {
    const plain = createLedger();
    const salted = createLedger({cacheSalt: "model-b"});
    const tokens = range(0, 9);
    expect(salted.getBlockHashes(tokens)).toHaveLength(2);
    expect(salted.getBlockHashes(tokens)[0]).not.toBe(plain.getBlockHashes(tokens)[0]);
    for (const ledger of [plain, salted]) {
      runToIdle(ledger, [9, 9, 9, 9, 9]);
      runToIdle(ledger, tokens);
      expect(ledger.findLongestPrefix([...tokens.slice(0, 8), 5])).toEqual({sequenceIndex: 1, numCachedTokens: 8});
    }
  });
});
