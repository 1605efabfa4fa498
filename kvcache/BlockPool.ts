/**
 * The pool of all KV blocks of the context: per block its state and, for a full block, its chained
 * hash; plus an index from hash to the cached blocks holding it, which is how a prompt finds cached
 * prefixes. A block is in one of three states:
 *
 *   empty  (holds nothing)                      --acquire-->  used
 *   used   (held by the running sequence)       --release-->  cached
 *   cached (resident but evictable, by hash)    --acquire-->  used;  --evict-->  empty
 *
 * A block is held or not, never shared: in node-llama-cpp every sequence owns a private KV region, so
 * no block has two holders and a ref count would only ever read 0 or 1. The pool does not know
 * sequences, block tables or tokens, and does not pick which block to allocate: a sequence's KV lives
 * in a fixed region, so the ledger (KvCacheManager) always knows which block comes next. Recency
 * (LRU) is the ledger's too, since a whole idle sequence is what gets reused or overwritten.
 * `getState` and `cachedHashEntries` serve the ledger's invariant checks.
 */

import type {BlockHash} from "./types.ts";

/** Where a block is in its life; see the file comment. */
export type BlockState = "empty" | "used" | "cached";

const EMPTY = 0;
const USED = 1;
const CACHED = 2;
const STATE_NAMES: readonly BlockState[] = ["empty", "used", "cached"];

/** States and hashes of a fixed set of blocks, with a hash index of the cached ones. */
export class BlockPool {
  readonly numBlocks: number;
  readonly #states: Uint8Array;
  readonly #hashes: (BlockHash | null)[];
  /** Cached blocks that carry a hash, by hash. */
  readonly #cachedByHash = new Map<BlockHash, Set<number>>();
  #numUsed = 0;

  constructor(numBlocks: number) {
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new RangeError(`numBlocks must be an integer >= 1, got ${numBlocks}`);
    this.numBlocks = numBlocks;
    this.#states = new Uint8Array(numBlocks);
    this.#hashes = new Array<BlockHash | null>(numBlocks).fill(null);
  }

  /** Blocks held by a running sequence. */
  get numUsedBlocks(): number {
    return this.#numUsed;
  }

  getState(blockId: number): BlockState {
    return STATE_NAMES[this.#states[this.#checkId(blockId)]!]!;
  }

  getHash(blockId: number): BlockHash | null {
    return this.#hashes[this.#checkId(blockId)]!;
  }

  /** Cached blocks whose hash is `hash`; empty when none. Used blocks are never listed. */
  findCached(hash: BlockHash): ReadonlySet<number> {
    return this.#cachedByHash.get(hash) ?? EMPTY_SET;
  }

  /** Every cached block that carries a hash, by hash; for invariant checks. */
  cachedHashEntries(): IterableIterator<[BlockHash, ReadonlySet<number>]> {
    return this.#cachedByHash.entries();
  }

  /**
   * Takes the block for its sequence. An empty block starts holding whatever the holder writes; a
   * cached block is reused with its content and hash, and leaves the hash index.
   */
  acquire(blockId: number): void {
    this.#checkId(blockId);
    const state = this.#states[blockId];
    if (state === USED) throw new Error(`block ${blockId} is already held`);
    if (state === CACHED) this.#unindex(blockId);
    this.#states[blockId] = USED;
    this.#numUsed++;
  }

  /** Lets a used block go: it is cached, resident and evictable, findable by its hash. */
  release(blockId: number): void {
    this.#checkId(blockId);
    if (this.#states[blockId] !== USED) throw new Error(`block ${blockId} is released but not held`);
    this.#states[blockId] = CACHED;
    this.#numUsed--;
    const hash = this.#hashes[blockId];
    if (hash != null) this.#index(hash, blockId);
  }

  /** Sets or clears the hash of a used block, when it fills up or is cut back to partial. */
  setHash(blockId: number, hash: BlockHash | null): void {
    this.#checkId(blockId);
    if (this.#states[blockId] !== USED) throw new Error(`block ${blockId} is not in use; only its holder may rewrite it`);
    this.#hashes[blockId] = hash;
  }

  /** Discards a cached block's content: it becomes empty. */
  evict(blockId: number): void {
    this.#checkId(blockId);
    const state = this.#states[blockId];
    if (state === USED) throw new Error(`block ${blockId} is in use and cannot be evicted`);
    if (state === EMPTY) throw new Error(`block ${blockId} holds nothing to evict`);
    this.#unindex(blockId);
    this.#hashes[blockId] = null;
    this.#states[blockId] = EMPTY;
  }

  #index(hash: BlockHash, blockId: number): void {
    const holders = this.#cachedByHash.get(hash);
    if (holders === undefined) this.#cachedByHash.set(hash, new Set([blockId]));
    else holders.add(blockId);
  }

  #unindex(blockId: number): void {
    const hash = this.#hashes[blockId];
    if (hash == null) return;
    const holders = this.#cachedByHash.get(hash);
    holders?.delete(blockId);
    if (holders?.size === 0) this.#cachedByHash.delete(hash);
  }

  #checkId(blockId: number): number {
    if (!Number.isInteger(blockId) || blockId < 0 || blockId >= this.numBlocks) throw new RangeError(`no block ${blockId} in a pool of ${this.numBlocks}`);
    return blockId;
  }
}

const EMPTY_SET: ReadonlySet<number> = new Set();
