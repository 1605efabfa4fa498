/**
 * The block pool's state machine (empty -> used -> cached -> used or empty), its counts, and its hash
 * index, which lists cached blocks only.
 */

import {describe, expect, it} from "vitest";
import {BlockPool} from "../../kvcache/BlockPool.ts";

function counts(pool: BlockPool): {used: number; free: number; cached: number} {
  return {used: pool.numUsedBlocks, free: pool.numFreeBlocks, cached: pool.numCachedBlocks};
}

describe("BlockPool", () => {
  it("moves a block from empty to used to cached and back, keeping free + used = total", () => {
    const pool = new BlockPool(4);
    expect(counts(pool)).toEqual({used: 0, free: 4, cached: 0});
    pool.acquire(2);
    expect([pool.getRefCount(2), pool.isResident(2)]).toEqual([1, true]);
    expect(counts(pool)).toEqual({used: 1, free: 3, cached: 0});
    pool.release(2);
    expect([pool.getRefCount(2), pool.isResident(2)]).toEqual([0, true]);
    expect(counts(pool)).toEqual({used: 0, free: 4, cached: 1});
    pool.acquire(2);
    expect(counts(pool)).toEqual({used: 1, free: 3, cached: 0});
    pool.release(2);
    pool.evict(2);
    expect([pool.getRefCount(2), pool.isResident(2)]).toEqual([0, false]);
    expect(counts(pool)).toEqual({used: 0, free: 4, cached: 0});
  });

  it("counts a block used once however many references it has", () => {
    const pool = new BlockPool(2);
    pool.acquire(0);
    pool.acquire(0);
    expect(pool.getRefCount(0)).toBe(2);
    pool.release(0);
    expect(counts(pool)).toEqual({used: 1, free: 1, cached: 0});
    pool.release(0);
    expect(counts(pool)).toEqual({used: 0, free: 2, cached: 1});
  });

  it("lists a hashed block by its hash only while it is cached", () => {
    const pool = new BlockPool(3);
    pool.acquire(1);
    pool.setHash(1, "00000000000000aa");
    expect([...pool.findCached("00000000000000aa")]).toEqual([]);
    pool.release(1);
    expect([...pool.findCached("00000000000000aa")]).toEqual([1]);
    pool.acquire(1);
    expect([...pool.findCached("00000000000000aa")]).toEqual([]);
    expect(pool.getHash(1)).toBe("00000000000000aa");
    pool.release(1);
    pool.evict(1);
    expect([...pool.findCached("00000000000000aa")]).toEqual([]);
    expect(pool.getHash(1)).toBeNull();
    expect([...pool.cachedHashEntries()]).toEqual([]);
  });

  it("refuses transitions that would corrupt its books", () => {
    const pool = new BlockPool(2);
    expect(() => pool.release(0)).toThrow(/released more often/);
    expect(pool.getRefCount(0)).toBe(0);
    expect(() => pool.evict(0)).toThrow(/holds nothing/);
    expect(() => pool.setHash(0, "0000000000000001")).toThrow(/not in use/);
    pool.acquire(0);
    expect(() => pool.evict(0)).toThrow(/in use/);
    expect(() => pool.acquire(2)).toThrow(RangeError);
    expect(() => pool.getRefCount(-1)).toThrow(RangeError);
    expect(() => new BlockPool(0)).toThrow(RangeError);
  });
});
