/**
 * Content hashes of token blocks, chained so that a block's hash identifies the whole prefix up to
 * and including it: hash(block j) = H(hash(block j-1), tokens of block j), and block 0 mixes in an
 * extra key (the model variant) instead of a parent. Equal hashes therefore mean equal prefixes,
 * which lets a cache (this ledger, or a host-memory tier) look a prompt up block by block.
 *
 * The hash is fast and non-cryptographic: two independent 32-bit lanes (a murmur3-style lane and an
 * xxhash32-style lane), each seeded and finalized with an avalanche, printed as 16 hex digits. It is
 * deterministic across runs and processes for a given seed. Callers that act on a match must still
 * compare tokens, as the ledger does, since a 64-bit hash can collide. This file owns hashing only;
 * which blocks exist and who holds them is the ledger's.
 */

import type {BlockHash} from "./types.ts";

/** Default seed; any fixed value works, it only has to be the same wherever hashes are compared. */
export const DEFAULT_BLOCK_HASH_SEED = 0x5eed_b10c;

export interface BlockHashOptions {
  /** Default {@link DEFAULT_BLOCK_HASH_SEED}. */
  readonly seed?: number;
  /** Mixed into the first block only (no parent); absent and "" are the same key. */
  readonly extraKey?: string;
}

export interface BlockHashesOptions extends BlockHashOptions {
  readonly blockSize: number;
}

/** Separates a first block from a chained one, so no parent value can pose as "no parent". */
const ROOT_TAG = 0x726f6f74;
const CHILD_TAG = 0x6368696c;

/**
 * Hashes one block chained to `parentHash` (null for the first block of a sequence). Any number of
 * tokens is accepted, but a cache should only hash full blocks: a partial one still changes.
 */
export function hashBlock(parentHash: BlockHash | null, blockTokens: readonly number[], options: BlockHashOptions = {}): BlockHash {
  const lanes = startLanes(options.seed ?? DEFAULT_BLOCK_HASH_SEED);
  if (parentHash === null) {
    mixWord(lanes, ROOT_TAG);
    mixString(lanes, options.extraKey ?? "");
  } else {
    mixWord(lanes, CHILD_TAG);
    mixWord(lanes, parseLane(parentHash, 0));
    mixWord(lanes, parseLane(parentHash, 8));
  }
  for (const token of blockTokens) mixWord(lanes, token);
  return finish(lanes, blockTokens.length);
}

/** The chained hashes of every full block of `tokens`; a trailing partial block gets none. */
export function computeBlockHashes(tokens: readonly number[], options: BlockHashesOptions): BlockHash[] {
  const {blockSize} = options;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`blockSize must be an integer >= 1, got ${blockSize}`);
  const hashes: BlockHash[] = [];
  let parentHash: BlockHash | null = null;
  for (let start = 0; start + blockSize <= tokens.length; start += blockSize) {
    parentHash = hashBlock(parentHash, tokens.slice(start, start + blockSize), options);
    hashes.push(parentHash);
  }
  return hashes;
}

interface Lanes {
  a: number;
  b: number;
  numWords: number;
}

function startLanes(seed: number): Lanes {
  // Distinct starting points keep the lanes from mirroring each other on short inputs.
  return {a: seed | 0, b: ((seed ^ 0x9e3779b9) + 0x165667b1) | 0, numWords: 0};
}

function mixWord(lanes: Lanes, value: number): void {
  // murmur3's block step.
  let k = Math.imul(value | 0, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  const a = lanes.a ^ k;
  lanes.a = (Math.imul((a << 13) | (a >>> 19), 5) + 0xe6546b64) | 0;
  // xxhash32's round.
  const b = (lanes.b + Math.imul(value | 0, 0x85ebca77)) | 0;
  lanes.b = Math.imul((b << 13) | (b >>> 19), 0x9e3779b1);
  lanes.numWords++;
}

function mixString(lanes: Lanes, text: string): void {
  mixWord(lanes, text.length);
  for (let index = 0; index < text.length; index++) mixWord(lanes, text.charCodeAt(index));
}

function finish(lanes: Lanes, numTokens: number): BlockHash {
  const a = avalanche(lanes.a ^ lanes.numWords ^ numTokens);
  const b = avalanche((lanes.b + lanes.numWords + Math.imul(numTokens, 0x27d4eb2f)) | 0);
  return hex8(a) + hex8(b);
}

/** murmur3's fmix32. */
function avalanche(value: number): number {
  let h = value ^ (value >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, "0");
}

const BLOCK_HASH_PATTERN = /^[0-9a-f]{16}$/;

function parseLane(hash: BlockHash, offset: number): number {
  if (!BLOCK_HASH_PATTERN.test(hash)) throw new RangeError(`not a block hash: ${hash}`);
  return Number.parseInt(hash.slice(offset, offset + 8), 16);
}
