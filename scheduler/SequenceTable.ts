/**
 * Which request owns each context sequence, kept in step with the KV ledger (kvcache/), which owns
 * what every sequence holds, how many are idle, and where a new request goes: the idle sequence
 * sharing the longest prefix with its tokens, ties to the least recently used. This table turns the
 * scheduler's placements, chunks and releases into ledger calls, and keeps no count of its own. It
 * does not decide who is placed or when, and it never talks to the engine: the engine learns of a
 * placement through `ScheduledRequest.isNewlyPlaced` and trims the sequence to `numComputedTokens`
 * itself.
 */

import type {KvCacheManager} from "../kvcache/index.ts";
import type {HostPrefixIndex, SequenceView} from "./types.ts";

/** What the table reads of a sequence's owner. */
export interface SequenceOwner {
  readonly id: string;
  readonly numComputedTokens: number;
  readonly allTokens: readonly number[];
  /** False: computes every token itself, whatever a sequence or the host tier holds. */
  readonly isPrefixReuseAllowed: boolean;
}

/** @internal One sequence's owner. */
export interface SequenceSlot<TOwner extends SequenceOwner> {
  readonly index: number;
  owner: TOwner | null;
}

/** A placement decision. */
export interface Placement {
  readonly sequenceIndex: number;
  /** Leading tokens already in the sequence; the owner starts computing from here. */
  readonly numReusedTokens: number;
  /** Set when those tokens come from the host-memory tier and the engine must restore them first. */
  readonly restoreFrom?: {readonly key: string};
  /** Set when those tokens are a copy of another running sequence's, which the engine makes first. */
  readonly copyFrom?: {readonly sequenceIndex: number};
}

/** A running sequence whose first tokens a placement may copy, and those tokens. */
export interface CopySource {
  readonly sequenceIndex: number;
  readonly tokens: readonly number[];
}

/** How placement reuses prefixes. */
export interface PlacementOptions {
  readonly isPrefixCachingEnabled: boolean;
  readonly hostPrefixIndex?: HostPrefixIndex;
}

/** Fixed set of sequences with prefix-aware placement, over a KV ledger of the same sequences. */
export class SequenceTable<TOwner extends SequenceOwner> {
  readonly #slots: SequenceSlot<TOwner>[];
  readonly #kvCache: KvCacheManager;
  readonly #options: PlacementOptions;
  #numHostHitTokensTotal = 0;

  constructor(kvCache: KvCacheManager, options: PlacementOptions = {isPrefixCachingEnabled: true}) {
    this.#kvCache = kvCache;
    this.#options = options;
    this.#slots = Array.from({length: kvCache.numSequences}, (_, index) => ({index, owner: null}));
  }

  /** Prompt tokens restored from the host tier rather than recomputed, over all placements. */
  get numHostHitTokensTotal(): number {
    return this.#numHostHitTokensTotal;
  }

  /** @internal For invariant checks. */
  get slots(): readonly Readonly<SequenceSlot<TOwner>>[] {
    return this.#slots;
  }

  /**
   * Gives `owner` the free sequence holding the longest prefix of its tokens, and reuses that prefix,
   * but at most all tokens but one: the last one must be fed again, since feeding it is what yields
   * the logits for the next sample.
   */
  place(owner: TOwner, copySource?: CopySource): Placement {
    const computed = this.#kvCache.getComputedBlocks(owner.allTokens);
    if (computed === null) throw new Error(`no idle sequence for request ${owner.id}`);
    const {sequenceIndex} = computed;
    // A copy of the source's prompt, unless the chosen sequence already holds as much.
    const numCopied = Math.min(copySource?.tokens.length ?? 0, owner.allTokens.length) - 1;
    if (copySource && numCopied > computed.numComputedTokens) {
      this.#kvCache.restoreIdle(sequenceIndex, copySource.tokens);
      this.#kvCache.allocateSlots({sequenceIndex, tokens: owner.allTokens, numComputedTokens: numCopied, numNewTokens: 0});
      this.#slots[sequenceIndex]!.owner = owner;
      return {sequenceIndex, numReusedTokens: numCopied, copyFrom: {sequenceIndex: copySource.sequenceIndex}};
    }
    const isReused = this.#options.isPrefixCachingEnabled && owner.isPrefixReuseAllowed;
    let numComputedTokens = isReused ? computed.numComputedTokens : 0;
    let restoreFrom: {readonly key: string} | undefined;
    const hostMatch = isReused ? this.#options.hostPrefixIndex?.findLongestPrefix(owner.allTokens) : null;
    const numHostTokens = Math.min(hostMatch?.numTokens ?? 0, owner.allTokens.length - 1);
    if (hostMatch && numHostTokens > numComputedTokens) {
      // The sequence will hold the saved state once the engine restores it; the ledger says so now.
      this.#kvCache.restoreIdle(sequenceIndex, hostMatch.tokens.slice(0, this.#kvCache.sequenceCapacity));
      numComputedTokens = numHostTokens;
      restoreFrom = {key: hostMatch.key};
      this.#numHostHitTokensTotal += numHostTokens;
    }
    // Never refused: it keeps only tokens the sequence already holds. Chunks allocate the rest.
    this.#kvCache.allocateSlots({sequenceIndex, tokens: owner.allTokens, numComputedTokens, numNewTokens: 0});
    this.#slots[sequenceIndex]!.owner = owner;
    return restoreFrom ? {sequenceIndex, numReusedTokens: numComputedTokens, restoreFrom} : {sequenceIndex, numReusedTokens: numComputedTokens};
  }

  /**
   * Reserves room for the owner's next `numNewTokens` tokens after its `numComputedTokens`. The
   * scheduler finishes a request before it outgrows its sequence, so a refusal is a bug, and throws.
   */
  allocate(sequenceIndex: number, numNewTokens: number): void {
    const owner = this.#ownerOf(sequenceIndex);
    const {allTokens: tokens, numComputedTokens} = owner;
    if (!this.#kvCache.allocateSlots({sequenceIndex, tokens, numComputedTokens, numNewTokens})) {
      throw new Error(`request ${owner.id} outgrew sequence ${sequenceIndex}: ${numComputedTokens + numNewTokens} tokens`);
    }
  }

  /** Frees a sequence, which keeps its first `numValidTokens` tokens (exactly what was fed into it) for reuse. */
  release(sequenceIndex: number, numValidTokens: number): void {
    this.#ownerOf(sequenceIndex);
    this.#kvCache.free({sequenceIndex, numValidTokens});
    this.#slots[sequenceIndex]!.owner = null;
  }

  /** A snapshot of every sequence, by index. */
  views(): SequenceView[] {
    const kvSequences = this.#kvCache.getSequences();
    return this.#slots.map(({index, owner}) => ({
      index, ownerId: owner?.id ?? null, numHeldTokens: owner?.numComputedTokens ?? kvSequences[index]!.numTokens
    }));
  }

  #ownerOf(sequenceIndex: number): TOwner {
    const owner = this.#slots[sequenceIndex]?.owner;
    if (owner == null) throw new Error(`sequence ${sequenceIndex} is not owned`);
    return owner;
  }
}
