/**
 * The pool of all KV blocks of the context: per block a ref count, whether it holds valid tokens
 * (is resident), and the chained hash of a full block; plus an index from hash to the evictable
 * blocks holding it, which is how a prompt finds cached prefixes. A block is in one of three states:
 *
 *   empty  (ref 0, holds nothing)        --acquire-->  used (ref > 0)
 *   used   (ref > 0, held by a request)  --release-->  cached, once the ref count reaches 0
 *   cached (ref 0, resident, evictable)  --acquire-->  used;  --evict-->  empty
 *
 * "Free" blocks are those with ref 0, cached ones included (they can be overwritten at once), so
 * free + used = total. The pool does not know sequences, block tables or tokens, and does not pick
 * which block to allocate: in node-llama-cpp a sequence's KV lives in a fixed region, so the ledger
 * (KvCacheManager) always knows which block comes next. Recency (LRU) is the ledger's too, since a
 * whole idle sequence is what gets reused or overwritten.
 */

import type {BlockHash} from "./types.ts";

/** Ref counts, residency and hashes of a fixed set of blocks, with a hash index of cached ones. */
export class BlockPool {
  readonly numBlocks: number;
  readonly #refCounts: Int32Array;
  readonly #isResident: Uint8Array;
  readonly #hashes: (BlockHash | null)[];
  /** Cached (ref 0, resident) blocks that carry a hash, by hash. */
  readonly #cachedByHash = new Map<BlockHash, Set<number>>();
  #numUsed = 0;
  #numCached = 0;

  constructor(numBlocks: number) {
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new RangeError(`numBlocks must be an integer >= 1, got ${numBlocks}`);
    this.numBlocks = numBlocks;
    this.#refCounts = new Int32Array(numBlocks);
    this.#isResident = new Uint8Array(numBlocks);
    this.#hashes = new Array<BlockHash | null>(numBlocks).fill(null);
  }

  /** Blocks with a ref count above 0. */
  get numUsedBlocks(): number {
    return this.#numUsed;
  }

  /** Blocks with ref count 0, cached ones included. */
  get numFreeBlocks(): number {
    return this.numBlocks - this.#numUsed;
  }

  /** Blocks with ref count 0 that still hold valid tokens (evictable). */
  get numCachedBlocks(): number {
    return this.#numCached;
  }

  getRefCount(blockId: number): number {
    return this.#refCounts[this.#checkId(blockId)]!;
  }

  isResident(blockId: number): boolean {
    return this.#isResident[this.#checkId(blockId)] === 1;
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
   * Takes a reference. An empty block becomes resident (its content is whatever the holder writes);
   * a cached block is reused with its content and hash, and leaves the hash index.
   */
  acquire(blockId: number): void {
    this.#checkId(blockId);
    if (this.#refCounts[blockId] === 0) {
      this.#numUsed++;
      if (this.#isResident[blockId] === 1) {
        this.#numCached--;
        this.#unindex(blockId);
      }
      this.#isResident[blockId] = 1;
    }
    this.#refCounts[blockId]!++;
  }

  /** Drops a reference; at 0 the block is cached: resident, evictable, findable by its hash. */
  release(blockId: number): void {
    this.#checkId(blockId);
    if (this.#refCounts[blockId] === 0) throw new Error(`block ${blockId} released more often than acquired`);
    if (--this.#refCounts[blockId]! > 0) return;
    this.#numUsed--;
    this.#numCached++;
    const hash = this.#hashes[blockId];
    if (hash != null) this.#index(hash, blockId);
  }

  /** Sets or clears the hash of a used block, when it fills up or is cut back to partial. */
  setHash(blockId: number, hash: BlockHash | null): void {
    this.#checkId(blockId);
    if (this.#refCounts[blockId] === 0) throw new Error(`block ${blockId} is not in use; only its holder may rewrite it`);
    this.#hashes[blockId] = hash;
  }

  /** Discards a cached block's content: it becomes empty. */
  evict(blockId: number): void {
    this.#checkId(blockId);
    if (this.#refCounts[blockId] !== 0) throw new Error(`block ${blockId} is in use and cannot be evicted`);
    if (this.#isResident[blockId] === 0) throw new Error(`block ${blockId} holds nothing to evict`);
    this.#unindex(blockId);
    this.#hashes[blockId] = null;
    this.#isResident[blockId] = 0;
    this.#numCached--;
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
