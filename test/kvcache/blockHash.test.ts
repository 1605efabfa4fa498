/**
 * Block hashing: deterministic (also across processes: pinned values), chained (a shared prefix gives
 * shared hashes, one changed token changes its block's hash and every later one), and keyed by seed,
 * extra key (first block only) and block size.
 */

import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {computeBlockHashes, DEFAULT_BLOCK_HASH_SEED, hashBlock} from "../../kvcache/blockHash.ts";

const tokenArbitrary = fc.integer({min: 0, max: 300_000});

describe("hashBlock", () => {
  it("gives the same 16-hex-digit hash for the same input, pinned so it stays stable across runs", () => {
    expect(hashBlock(null, [1, 2, 3, 4])).toBe("d41ad8bcf2518c6f");
    expect(hashBlock(null, [1, 2, 3, 4], {seed: DEFAULT_BLOCK_HASH_SEED})).toBe("d41ad8bcf2518c6f");
    expect(hashBlock("d41ad8bcf2518c6f", [5, 6, 7, 8])).toBe("de89ea8e5d2ea497");
    expect(hashBlock(null, [1, 2, 3, 4], {extraKey: "m"})).toBe("20377e6706987367");
  });

  it("depends on the parent, the seed, the extra key of a first block, and every token", () => {
    const tokens = [10, 20, 30, 40];
    const base = hashBlock(null, tokens);
    const others = [
      hashBlock("0000000000000000", tokens),
      hashBlock(null, tokens, {seed: 1}),
      hashBlock(null, tokens, {extraKey: "variant-b"}),
      hashBlock(null, [10, 20, 30, 41]),
      hashBlock(null, [20, 10, 30, 40]),
      hashBlock(null, [10, 20, 30]),
      hashBlock(null, [10, 20, 30, 40, 0])
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
    // An absent key and an empty one are the same key.
    expect(hashBlock(null, tokens, {extraKey: ""})).toBe(base);
  });

  it("mixes the extra key into first blocks only", () => {
    const parent = hashBlock(null, [1, 2]);
    expect(hashBlock(parent, [3, 4], {extraKey: "a"})).toBe(hashBlock(parent, [3, 4], {extraKey: "b"}));
  });

  it("rejects a malformed parent hash", () => {
    expect(() => hashBlock("xyz", [1])).toThrow(RangeError);
    expect(() => hashBlock("0123456789abcdeg", [1])).toThrow(RangeError);
  });
});

describe("computeBlockHashes", () => {
  it("hashes full blocks only, each chained to the one before", () => {
    const tokens = Array.from({length: 11}, (_, index) => index * 7);
    const hashes = computeBlockHashes(tokens, {blockSize: 4});
    expect(hashes).toHaveLength(2);
    expect(hashes[0]).toBe(hashBlock(null, tokens.slice(0, 4)));
    expect(hashes[1]).toBe(hashBlock(hashes[0]!, tokens.slice(4, 8)));
    expect(computeBlockHashes(tokens.slice(0, 3), {blockSize: 4})).toEqual([]);
    expect(() => computeBlockHashes(tokens, {blockSize: 0})).toThrow(RangeError);
  });

  it("gives equal hashes for a shared prefix and different ones from the first differing block on", () => {
    fc.assert(fc.property(
      fc.integer({min: 1, max: 8}),
      fc.array(tokenArbitrary, {minLength: 1, maxLength: 80}),
      fc.nat(),
      tokenArbitrary,
      fc.array(tokenArbitrary, {maxLength: 20}),
      (blockSize, tokens, pick, replacement, tail) => {
        const position = pick % tokens.length;
        fc.pre(tokens[position] !== replacement);
        const changed = [...tokens];
        changed[position] = replacement;
        const original = computeBlockHashes([...tokens, ...tail], {blockSize});
        const altered = computeBlockHashes([...changed, ...tail], {blockSize});
        const firstChangedBlock = Math.floor(position / blockSize);
        expect(altered.slice(0, firstChangedBlock)).toEqual(original.slice(0, firstChangedBlock));
        for (let block = firstChangedBlock; block < original.length; block++) expect(altered[block]).not.toBe(original[block]);
        // Appending tokens never changes the hashes of blocks already full.
        expect(original.slice(0, Math.floor(tokens.length / blockSize))).toEqual(computeBlockHashes(tokens, {blockSize}));
      }
    ), {numRuns: 500, seed: 7});
  });

  it("keys every block on the extra key, through the chain", () => {
    const tokens = Array.from({length: 12}, (_, index) => index);
    const plain = computeBlockHashes(tokens, {blockSize: 4});
    const salted = computeBlockHashes(tokens, {blockSize: 4, extraKey: "lora-1"});
    plain.forEach((hash, block) => expect(salted[block]).not.toBe(hash));
  });
});
