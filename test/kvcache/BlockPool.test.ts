/**
 * The block pool's state machine (empty -> used -> cached -> used or empty), one holder per block, its
 * count of used blocks, and its hash index, which lists cached blocks only.
 */

import {describe, expect, it} from "vitest";
import {BlockPool} from "../../kvcache/BlockPool.ts";

function states(pool: BlockPool): string[] {
  return Array.from({length: pool.numBlocks}, (_, blockId) => pool.getState(blockId));
}

describe("BlockPool", () => {
  it("moves a block from empty to used to cached and back, counting only used blocks as used", () => {
    const pool = new BlockPool(4);
    expect([pool.numUsedBlocks, states(pool)]).toEqual([0, ["empty", "empty", "empty", "empty"]]);
    pool.acquire(2);
    expect([pool.numUsedBlocks, states(pool)]).toEqual([1, ["empty", "empty", "used", "empty"]]);
    pool.release(2);
    expect([pool.numUsedBlocks, states(pool)]).toEqual([0, ["empty", "empty", "cached", "empty"]]);
    pool.acquire(2);
    expect([pool.numUsedBlocks, pool.getState(2)]).toEqual([1, "used"]);
    pool.release(2);
    pool.evict(2);
    expect([pool.numUsedBlocks, states(pool)]).toEqual([0, ["empty", "empty", "empty", "empty"]]);
  });

  it("gives a block to one holder at a time: a second acquire is refused and changes nothing", () => {
    const pool = new BlockPool(2);
    pool.acquire(0);
    expect(() => pool.acquire(0)).toThrow(/already held/);
    expect([pool.numUsedBlocks, states(pool)]).toEqual([1, ["used", "empty"]]);
    pool.release(0);
    expect(() => pool.release(0)).toThrow(/not held/);
    expect([pool.numUsedBlocks, states(pool)]).toEqual([0, ["cached", "empty"]]);
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
    expect(() => pool.release(0)).toThrow(/not held/);
    expect(pool.getState(0)).toBe("empty");
    expect(() => pool.evict(0)).toThrow(/holds nothing/);
    expect(() => pool.setHash(0, "0000000000000001")).toThrow(/not in use/);
    pool.acquire(0);
    expect(() => pool.evict(0)).toThrow(/in use/);
    expect(() => pool.acquire(2)).toThrow(RangeError);
    expect(() => pool.getState(-1)).toThrow(RangeError);
    expect(() => new BlockPool(0)).toThrow(RangeError);
  });
});
