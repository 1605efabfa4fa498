/**
 * The paged-KV ledger: for every sequence of the context, the tokens it holds and its block table;
 * prefix lookups among idle sequences; allocation within a sequence's fixed region; and counters for
 * metrics. It follows vLLM's contract (`getComputedBlocks`, `allocateSlots` refusing when memory is
 * short, `free`) over the physical truth of node-llama-cpp: each sequence has a private region of
 * `sequenceCapacity` tokens, nothing is shared or copied, and a finished sequence keeps its tokens
 * (idle: resident but evictable) until a new request is placed into it.
 *
 * Pure and synchronous; it knows no requests (sequences are named by index), decides no admission
 * order and never touches the model. Block states and the hash index are BlockPool's, the prefix
 * search is PrefixLookup's, hashing is blockHash.ts's. Every public member has a caller in the
 * scheduler (admission, placement, chunks, release, host-tier restores, stats) or is the invariant
 * check; block ids stay inside, since a sequence's blocks follow from its index.
 *
 * Block j of sequence s is always block s * numBlocksPerSequence + j, and holds its tokens
 * [j * blockSize, (j + 1) * blockSize). Hashes only narrow the search for a cached prefix: the
 * reused length is the exact common token prefix (token-level, so a partial block counts too).
 */

import {BlockPool} from "./BlockPool.ts";
import {hashBlock} from "./blockHash.ts";
import {checkKvCacheInvariants} from "./checkInvariants.ts";
import {commonPrefixLength} from "./commonPrefix.ts";
import {PrefixLookup} from "./PrefixLookup.ts";
import type {AllocationRequest, ComputedBlocks, KvCacheConfig, KvCacheCounters, KvSequenceView} from "./types.ts";

export const DEFAULT_BLOCK_SIZE = 16;

/** @internal One sequence's books. */
export interface SequenceBooks {
  readonly index: number;
  readonly firstBlockId: number;
  isRunning: boolean;
  /** What the sequence holds; for a running one, counting tokens allocated for the step in flight. */
  readonly tokens: number[];
  /** Its block table: `blockIds[j] = firstBlockId + j`, `ceil(tokens.length / blockSize)` entries. */
  readonly blockIds: number[];
  /** Tick of the last placement or free; the lowest among idle sequences is the least recently used. */
  lastUsedTick: number;
}

/** Books of a context's KV cache in blocks; see the file comment. */
export class KvCacheManager {
  /** Tokens one sequence's region holds; the scheduler refuses prompts that leave no room to generate. */
  readonly sequenceCapacity: number;
  readonly #blockSize: number;
  readonly #numBlocksPerSequence: number;
  readonly #pool: BlockPool;
  readonly #prefixLookup: PrefixLookup;
  readonly #sequences: SequenceBooks[];
  #tick = 0;
  #numIdle: number;
  readonly #counters = {numPrefixQueryTokensTotal: 0, numPrefixHitTokensTotal: 0, numEvictionsTotal: 0};

  constructor(config: KvCacheConfig) {
    const {numSequences, sequenceCapacity, blockSize = DEFAULT_BLOCK_SIZE, minPrefixMatchTokens = 0} = config;
    requireInteger("minPrefixMatchTokens", minPrefixMatchTokens, 0);
    requireInteger("numSequences", numSequences, 1);
    requireInteger("sequenceCapacity", sequenceCapacity, 1);
    requireInteger("blockSize", blockSize, 1);
    const numBlocksPerSequence = Math.ceil(sequenceCapacity / blockSize);
    this.sequenceCapacity = sequenceCapacity;
    this.#blockSize = blockSize;
    this.#numBlocksPerSequence = numBlocksPerSequence;
    this.#pool = new BlockPool(numSequences * numBlocksPerSequence);
    this.#sequences = Array.from({length: numSequences}, (_, index) => ({
      index, firstBlockId: index * numBlocksPerSequence, isRunning: false, tokens: [], blockIds: [], lastUsedTick: 0
    }));
    this.#numIdle = numSequences;
    this.#prefixLookup = new PrefixLookup(this.#pool, this.#sequences, {blockSize, numBlocksPerSequence, minPrefixMatchTokens});
  }

  get numSequences(): number {
    return this.#sequences.length;
  }

  /** Sequences no request owns: how many requests can be admitted now. */
  get numIdleSequences(): number {
    return this.#numIdle;
  }

  /** Tokens per block. */
  get blockSize(): number {
    return this.#blockSize;
  }

  get numBlocksTotal(): number {
    return this.#pool.numBlocks;
  }

  /** Blocks held by running sequences. */
  get numUsedBlocks(): number {
    return this.#pool.numUsedBlocks;
  }

  /** Fraction of all blocks held by running sequences, 0..1. */
  usage(): number {
    return this.#pool.numUsedBlocks / this.#pool.numBlocks;
  }

  get counters(): KvCacheCounters {
    return {...this.#counters};
  }

  /**
   * Where to place a request with these tokens and how many of them are already resident there: the
   * longest cached prefix (ties and misses as placementOrder.ts orders them), but never the last
   * token, which must be fed again to produce logits. Null when no sequence is idle. A query only: it
   * counts nothing and changes nothing; commit the choice with `allocateSlots`.
   */
  getComputedBlocks(tokens: readonly number[]): ComputedBlocks | null {
    if (tokens.length === 0) throw new RangeError("cannot look up an empty token list");
    const match = this.#prefixLookup.findLongestPrefix(tokens);
    if (match === null) return null;
    return {sequenceIndex: match.sequenceIndex, numComputedTokens: Math.min(match.numCachedTokens, tokens.length - 1)};
  }

  /**
   * Makes the sequence hold `tokens[0 .. numComputedTokens + numNewTokens)` and returns true, or
   * returns false, changing nothing, when that exceeds its region. On an idle sequence this is a placement: it becomes running,
   * keeps its first `numComputedTokens` tokens (which must be a common prefix with `tokens`) and drops
   * the rest; the prefix query and hit are counted here. On a running sequence, a `numComputedTokens`
   * below what it holds rolls it back first (a step that sampled nothing is fed again).
   */
  allocateSlots(request: AllocationRequest): boolean {
    const {sequenceIndex, tokens, numComputedTokens, numNewTokens} = request;
    const sequence = this.#sequenceAt(sequenceIndex);
    requireInteger("numComputedTokens", numComputedTokens, 0);
    requireInteger("numNewTokens", numNewTokens, 0);
    const numTokens = numComputedTokens + numNewTokens;
    if (numTokens > tokens.length) throw new RangeError(`cannot hold ${numTokens} of ${tokens.length} tokens`);
    if (numTokens > this.sequenceCapacity) return false;
    if (sequence.isRunning) {
      if (numComputedTokens > sequence.tokens.length) {
        throw new RangeError(`sequence ${sequenceIndex} holds ${sequence.tokens.length} tokens, ${numComputedTokens} claimed computed`);
      }
      this.#truncate(sequence, numComputedTokens);
    } else {
      this.#place(sequence, tokens, numComputedTokens);
    }
    this.#append(sequence, tokens, numTokens);
    return true;
  }

  /**
   * Ends a running sequence's ownership. Its first `numValidTokens` tokens (those known to be really in
   * the KV; 0 after an engine fault) stay resident for prefix reuse, the rest are dropped. Its blocks
   * drop to ref 0: cached, evictable, findable by hash.
   */
  free({sequenceIndex, numValidTokens}: {readonly sequenceIndex: number; readonly numValidTokens: number}): void {
    const sequence = this.#sequenceAt(sequenceIndex);
    if (!sequence.isRunning) throw new Error(`sequence ${sequenceIndex} is not running`);
    requireInteger("numValidTokens", numValidTokens, 0);
    if (numValidTokens > sequence.tokens.length) {
      throw new RangeError(`sequence ${sequenceIndex} holds ${sequence.tokens.length} tokens, ${numValidTokens} claimed valid`);
    }
    this.#truncate(sequence, numValidTokens);
    for (const blockId of sequence.blockIds) this.#pool.release(blockId);
    sequence.isRunning = false;
    sequence.lastUsedTick = ++this.#tick;
    this.#numIdle++;
  }

  /**
   * Makes an idle sequence hold exactly `tokens`, as when the engine restores a saved state into it
   * from the host-memory tier: what it held before is evicted, the new blocks are cached (ref 0) and
   * findable by hash, and the sequence stays idle for the placement that follows.
   */
  restoreIdle(sequenceIndex: number, tokens: readonly number[]): void {
    const sequence = this.#sequenceAt(sequenceIndex);
    if (sequence.isRunning) throw new Error(`sequence ${sequenceIndex} is running and cannot be restored into`);
    if (tokens.length > this.sequenceCapacity) throw new RangeError(`cannot restore ${tokens.length} tokens into sequence ${sequenceIndex}`);
    this.#evict(sequence);
    sequence.isRunning = true;
    this.#numIdle--;
    this.#append(sequence, tokens, tokens.length);
    this.free({sequenceIndex, numValidTokens: tokens.length});
  }

  /** A snapshot of every sequence, by index. */
  getSequences(): KvSequenceView[] {
    return this.#sequences.map(({index, isRunning, tokens, blockIds}) => ({index, isRunning, numTokens: tokens.length, numBlocks: blockIds.length}));
  }

  /** Throws an Error naming the first violated invariant of the ledger. */
  checkInvariants(): void {
    checkKvCacheInvariants({
      blockSize: this.#blockSize, sequenceCapacity: this.sequenceCapacity, numBlocksPerSequence: this.#numBlocksPerSequence,
      pool: this.#pool, sequences: this.#sequences, numIdle: this.#numIdle,
      tick: this.#tick, counters: this.counters
    });
  }

  /** Idle -> running, keeping `numComputedTokens` leading tokens that it shares with `tokens`. */
  #place(sequence: SequenceBooks, tokens: readonly number[], numComputedTokens: number): void {
    const numCommon = commonPrefixLength(sequence.tokens, tokens);
    if (numComputedTokens > numCommon) {
      throw new RangeError(`sequence ${sequence.index} shares ${numCommon} tokens with the request, ${numComputedTokens} claimed computed`);
    }
    this.#counters.numPrefixQueryTokensTotal += tokens.length;
    this.#counters.numPrefixHitTokensTotal += numComputedTokens;
    // Dropping tokens the request would feed again anyway (the last one) overwrites nothing.
    if (numCommon < sequence.tokens.length) this.#counters.numEvictionsTotal++;
    for (const blockId of sequence.blockIds) this.#pool.acquire(blockId);
    sequence.isRunning = true;
    sequence.lastUsedTick = ++this.#tick;
    this.#numIdle--;
    this.#truncate(sequence, numComputedTokens);
  }

  /** Discards everything an idle sequence holds. */
  #evict(sequence: SequenceBooks): void {
    if (sequence.blockIds.length > 0) this.#counters.numEvictionsTotal++;
    for (const blockId of sequence.blockIds) this.#pool.evict(blockId);
    sequence.tokens.length = 0;
    sequence.blockIds.length = 0;
  }

  /** Cuts a running sequence back to `numTokens` tokens, emptying the blocks past them. */
  #truncate(sequence: SequenceBooks, numTokens: number): void {
    const numBlocks = this.#numBlocksFor(numTokens);
    while (sequence.blockIds.length > numBlocks) {
      const blockId = sequence.blockIds.pop()!;
      this.#pool.setHash(blockId, null);
      this.#pool.release(blockId);
      this.#pool.evict(blockId);
    }
    // A full block cut back to partial no longer has the content its hash names.
    if (numTokens % this.#blockSize !== 0 && numTokens < sequence.tokens.length) this.#pool.setHash(sequence.blockIds.at(-1)!, null);
    sequence.tokens.length = Math.min(sequence.tokens.length, numTokens);
  }

  /** Appends `tokens[held .. numTokens)` to a running sequence, taking blocks and hashing full ones. */
  #append(sequence: SequenceBooks, tokens: readonly number[], numTokens: number): void {
    const blockSize = this.#blockSize;
    for (let position = sequence.tokens.length; position < numTokens; position++) {
      if (position % blockSize === 0) {
        const blockId = sequence.firstBlockId + sequence.blockIds.length;
        this.#pool.acquire(blockId);
        sequence.blockIds.push(blockId);
      }
      sequence.tokens.push(tokens[position]!);
      if ((position + 1) % blockSize !== 0) continue;
      const blockIndex = (position + 1) / blockSize - 1;
      const parentHash = blockIndex === 0 ? null : this.#pool.getHash(sequence.blockIds[blockIndex - 1]!);
      const blockTokens = sequence.tokens.slice(blockIndex * blockSize, position + 1);
      this.#pool.setHash(sequence.blockIds[blockIndex]!, hashBlock(parentHash, blockTokens));
    }
  }

  #numBlocksFor(numTokens: number): number {
    return Math.ceil(numTokens / this.#blockSize);
  }

  #sequenceAt(sequenceIndex: number): SequenceBooks {
    const sequence = this.#sequences[sequenceIndex];
    if (sequence === undefined || !Number.isInteger(sequenceIndex)) throw new RangeError(`no sequence ${sequenceIndex}`);
    return sequence;
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}
