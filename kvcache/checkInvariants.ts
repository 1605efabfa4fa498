/**
 * The paged-KV ledger's invariants, checked on demand (tests call them after every operation). It
 * only reads, never repairs, and recomputes every hash, so it is for tests and debugging, not the
 * serving hot path. The ledger itself is KvCacheManager.ts; the pool's state machine is BlockPool.ts.
 *
 * Checked: every block in at most one block table, at its place in its sequence's region; a block is
 * used exactly when its sequence runs, cached exactly when its sequence is idle, empty exactly when
 * in no table; full blocks (and only they) carry the right chained hash; the hash index lists exactly
 * the cached hashed blocks; counts and counters agree with the books.
 */

import type {BlockPool} from "./BlockPool.ts";
import {hashBlock} from "./blockHash.ts";
import type {SequenceBooks} from "./KvCacheManager.ts";
import type {KvCacheCounters} from "./types.ts";

/** @internal What the invariant check reads of a ledger. */
export interface KvCacheInternals {
  readonly blockSize: number;
  readonly sequenceCapacity: number;
  readonly numBlocksPerSequence: number;
  readonly pool: BlockPool;
  readonly sequences: readonly Readonly<SequenceBooks>[];
  readonly numIdle: number;
  readonly tick: number;
  readonly counters: KvCacheCounters;
}

/** @internal Throws an Error naming the first violated invariant. */
export function checkKvCacheInvariants(state: KvCacheInternals): void {
  const tableOf = checkTables(state);
  checkPool(state, tableOf);
  checkHashIndex(state);
  const {counters} = state;
  assertInvariant(Object.values(counters).every((value) => Number.isInteger(value) && value >= 0), "a counter is negative or fractional");
  assertInvariant(counters.numPrefixHitTokensTotal <= counters.numPrefixQueryTokensTotal, "more prefix hit tokens than query tokens");
}

/** Checks each sequence's table and content; returns, per block id, the sequence whose table holds it. */
function checkTables({blockSize, sequenceCapacity, numBlocksPerSequence, pool, sequences, numIdle, tick}: KvCacheInternals): (SequenceBooks | undefined)[] {
  assertInvariant(pool.numBlocks === sequences.length * numBlocksPerSequence, `${pool.numBlocks} blocks for ${sequences.length} sequences of ${numBlocksPerSequence}`);
  const tableOf = new Array<SequenceBooks | undefined>(pool.numBlocks);
  let numIdleSeen = 0;
  sequences.forEach((sequence, index) => {
    const {tokens, blockIds} = sequence;
    assertInvariant(sequence.index === index && sequence.firstBlockId === index * numBlocksPerSequence, `sequence at ${index} is misfiled`);
    assertInvariant(tokens.length <= sequenceCapacity, `sequence ${index} holds ${tokens.length} tokens, over its region of ${sequenceCapacity}`);
    assertInvariant(blockIds.length === Math.ceil(tokens.length / blockSize), `sequence ${index} has ${blockIds.length} blocks for ${tokens.length} tokens`);
    assertInvariant(sequence.lastUsedTick >= 0 && sequence.lastUsedTick <= tick, `sequence ${index} was last used at tick ${sequence.lastUsedTick}, after ${tick}`);
    if (!sequence.isRunning) numIdleSeen++;
    blockIds.forEach((blockId, blockIndex) => {
      assertInvariant(tableOf[blockId] === undefined, `block ${blockId} is in the tables of sequences ${tableOf[blockId]?.index} and ${index}`);
      assertInvariant(blockId === sequence.firstBlockId + blockIndex, `sequence ${index} lists block ${blockId} at ${blockIndex}, outside its region's order`);
      tableOf[blockId] = sequence;
    });
  });
  assertInvariant(numIdleSeen === numIdle, `${numIdleSeen} idle sequences, books say ${numIdle}`);
  return tableOf;
}

function checkPool({blockSize, pool}: KvCacheInternals, tableOf: readonly (SequenceBooks | undefined)[]): void {
  let numUsed = 0;
  for (let blockId = 0; blockId < pool.numBlocks; blockId++) {
    const state = pool.getState(blockId);
    const holder = tableOf[blockId];
    // Regions are private, so a block is held by its own sequence or by nobody.
    const expectedState = holder === undefined ? "empty" : holder.isRunning ? "used" : "cached";
    assertInvariant(state === expectedState, `block ${blockId} is ${state}, its sequence is ${describe(holder)}`);
    if (state === "used") numUsed++;
    const hash = pool.getHash(blockId);
    if (holder === undefined) {
      assertInvariant(hash === null, `empty block ${blockId} keeps a hash`);
      continue;
    }
    const blockIndex = blockId - holder.firstBlockId;
    const end = (blockIndex + 1) * blockSize;
    if (end > holder.tokens.length) {
      assertInvariant(hash === null, `partial block ${blockId} has a hash`);
      continue;
    }
    const parentHash = blockIndex === 0 ? null : pool.getHash(blockId - 1);
    const expected = hashBlock(parentHash, holder.tokens.slice(end - blockSize, end));
    assertInvariant(hash === expected, `full block ${blockId} has hash ${hash}, its tokens chain to ${expected}`);
  }
  assertInvariant(pool.numUsedBlocks === numUsed, `pool says ${pool.numUsedBlocks} used blocks, block states say ${numUsed}`);
}

function checkHashIndex({pool}: KvCacheInternals): void {
  let numIndexed = 0;
  for (const [hash, blockIds] of pool.cachedHashEntries()) {
    assertInvariant(blockIds.size > 0, `hash ${hash} is indexed with no blocks`);
    for (const blockId of blockIds) {
      numIndexed++;
      assertInvariant(pool.getHash(blockId) === hash, `block ${blockId} is indexed under ${hash} but hashes to ${pool.getHash(blockId)}`);
      assertInvariant(pool.getState(blockId) === "cached", `block ${blockId} is indexed but ${pool.getState(blockId)}`);
    }
  }
  let numHashedCached = 0;
  for (let blockId = 0; blockId < pool.numBlocks; blockId++) {
    if (pool.getState(blockId) === "cached" && pool.getHash(blockId) !== null) numHashedCached++;
  }
  assertInvariant(numIndexed === numHashedCached, `${numIndexed} blocks indexed by hash, ${numHashedCached} cached blocks carry one`);
}

function describe(sequence: SequenceBooks | undefined): string {
  return sequence === undefined ? "none" : `${sequence.index} (${sequence.isRunning ? "running" : "idle"})`;
}

function assertInvariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`kv cache invariant violated: ${message}`);
}
