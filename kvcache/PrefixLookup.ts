/**
 * The ledger's prefix lookup: which idle sequence a prompt should be placed into, and how many of its
 * leading tokens that sequence already holds. It follows the prompt's chain of full-block hashes
 * through the pool's hash index to narrow the candidates, then lets the tokens decide; placement
 * order among equals is placementOrder.ts's. It only reads the ledger's books (KvCacheManager owns
 * and changes them) and counts nothing.
 */

import type {BlockPool} from "./BlockPool.ts";
import {hashBlock} from "./blockHash.ts";
import {commonPrefixLength} from "./commonPrefix.ts";
import type {SequenceBooks} from "./KvCacheManager.ts";
import {chooseForMiss, isBetterPlacement} from "./placementOrder.ts";
import type {BlockHash} from "./types.ts";

/** @internal Where a prompt's longest cached prefix lies. */
export interface PrefixMatch {
  /** The idle sequence holding it. */
  readonly sequenceIndex: number;
  /** Leading tokens that sequence shares with the prompt, uncapped (may be the whole prompt). */
  readonly numCachedTokens: number;
}

/** @internal The layout the lookup needs to know, fixed for the ledger's lifetime. */
export interface PrefixLookupLayout {
  readonly blockSize: number;
  readonly numBlocksPerSequence: number;
  /** A shorter match counts as a miss (see KvCacheConfig.minPrefixMatchTokens). */
  readonly minPrefixMatchTokens: number;
}

/** @internal Finds placements over a ledger's pool and sequence books, which it reads live. */
export class PrefixLookup {
  readonly #pool: BlockPool;
  readonly #sequences: readonly SequenceBooks[];
  readonly #layout: PrefixLookupLayout;

  constructor(pool: BlockPool, sequences: readonly SequenceBooks[], layout: PrefixLookupLayout) {
    this.#pool = pool;
    this.#sequences = sequences;
    this.#layout = layout;
  }

  /**
   * The idle sequence sharing the longest token prefix with `tokens`; ties and misses go where
   * placementOrder.ts says. Null when no sequence is idle.
   */
  findLongestPrefix(tokens: readonly number[]): PrefixMatch | null {
    const idle = this.#sequences.filter(({isRunning}) => !isRunning);
    if (idle.length === 0) return null;
    let best: SequenceBooks | undefined;
    let bestLength = -1;
    // Tokens decide, not hashes: a collision can only shorten the match, never fake one.
    for (const candidate of this.#holdersOfLongestChain(tokens, idle)) {
      const length = commonPrefixLength(candidate.tokens, tokens);
      if (best === undefined || length > bestLength || (length === bestLength && isBetterPlacement(candidate, best, this.#sequences))) {
        best = candidate;
        bestLength = length;
      }
    }
    if (bestLength < this.#layout.minPrefixMatchTokens) {
      const chosen = chooseForMiss(this.#sequences);
      return {sequenceIndex: chosen.index, numCachedTokens: commonPrefixLength(chosen.tokens, tokens)};
    }
    return {sequenceIndex: best!.index, numCachedTokens: bestLength};
  }

  /**
   * Walks the prompt's full blocks while some idle sequence holds the same chain; each step keeps only
   * the sequences matching one more block, which are exactly those sharing the longest prefix so far.
   * Returns `idle` when not even the first block matches.
   */
  #holdersOfLongestChain(tokens: readonly number[], idle: readonly SequenceBooks[]): readonly SequenceBooks[] {
    const {blockSize, numBlocksPerSequence} = this.#layout;
    let candidates = idle;
    let parentHash: BlockHash | null = null;
    for (let blockIndex = 0; (blockIndex + 1) * blockSize <= tokens.length; blockIndex++) {
      const start = blockIndex * blockSize;
      const hash = hashBlock(parentHash, tokens.slice(start, start + blockSize));
      const holders: SequenceBooks[] = [];
      for (const blockId of this.#pool.findCached(hash)) {
        if (blockId % numBlocksPerSequence === blockIndex) holders.push(this.#sequences[Math.floor(blockId / numBlocksPerSequence)]!);
      }
      if (holders.length === 0) break;
      candidates = holders;
      parentHash = hash;
    }
    return candidates;
  }
}
