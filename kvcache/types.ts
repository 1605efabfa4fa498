/**
 * The records of the paged-KV ledger: its config, what its queries return, and the snapshots it gives
 * for metrics and checks. Plain readonly data; nothing here knows about requests, the scheduler or
 * node-llama-cpp. Tokens are plain numbers.
 *
 * The ledger models the context as node-llama-cpp really lays it out: every sequence owns a fixed,
 * private region of the KV cache, nothing is shared or copied between sequences. The region is cut
 * into blocks of `blockSize` tokens, and block ids are global:
 *
 *   sequence 0             sequence 1             ...
 *   |b0 |b1 |b2 | ... |bN-1|bN |bN+1| ...         N = numBlocksPerSequence
 *   |<- block table ->|     a sequence's block table is the prefix of its region it fills;
 *                           its last block may be partial, every earlier one is full and hashed.
 */

/** A block's identity by content: 16 lowercase hex digits (two 32-bit lanes), see blockHash.ts. */
export type BlockHash = string;

export interface KvCacheConfig {
  /** Sequences of the context; each owns `numBlocksPerSequence` consecutive blocks. */
  readonly numSequences: number;
  /** Tokens one sequence's region holds; allocations past it are refused. */
  readonly sequenceCapacity: number;
  /** Tokens per block. Default 16. */
  readonly blockSize?: number;
  /**
   * A cached prefix shorter than this counts as a miss at placement, so a request sharing only a
   * template's first tokens with an idle conversation goes to the least recently used sequence
   * instead of overwriting that conversation for a few tokens. Default 0 (any match counts).
   */
  readonly minPrefixMatchTokens?: number;
}

/**
 * Where a placement goes and what it may skip computing; see `KvCacheManager.getComputedBlocks`. The
 * blocks holding those tokens are the first `ceil(numComputedTokens / blockSize)` of the sequence's
 * region, so they need no list here.
 */
export interface ComputedBlocks {
  readonly sequenceIndex: number;
  /** Leading tokens already resident, never all of them: the last one is fed again for its logits. */
  readonly numComputedTokens: number;
}

/** What `allocateSlots` asks for. */
export interface AllocationRequest {
  readonly sequenceIndex: number;
  /** The owner's tokens; the sequence will hold `tokens[0 .. numComputedTokens + numNewTokens)`. */
  readonly tokens: readonly number[];
  /** Leading tokens already in the sequence (for an idle one: the reused prefix). */
  readonly numComputedTokens: number;
  /** Tokens to be fed next, right after `numComputedTokens`. */
  readonly numNewTokens: number;
}

/** Cumulative counters, for metrics. Device-resident tier only; a host tier counts its own. */
export interface KvCacheCounters {
  /** Tokens of every placed request, looked up among the idle sequences. */
  readonly numPrefixQueryTokensTotal: number;
  /** Of those, tokens reused from the chosen sequence and so not recomputed. */
  readonly numPrefixHitTokensTotal: number;
  /** Times an idle sequence's cached tokens were discarded: overwritten by a diverging request, or evicted. */
  readonly numEvictionsTotal: number;
}

/** A snapshot of one sequence's books. */
export interface KvSequenceView {
  readonly index: number;
  /** True while a request owns it; an idle sequence's blocks are resident but evictable. */
  readonly isRunning: boolean;
  /** Tokens it holds (for a running one, counting tokens allocated for the step in flight). */
  readonly numTokens: number;
  /** Length of its block table. */
  readonly numBlocks: number;
}
