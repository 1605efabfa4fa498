/**
 * The books of the context's sequences: which request owns each one, and what a free one still
 * holds. The scheduler fed every token a sequence holds, so it knows the content exactly; a finished,
 * aborted or preempted request leaves its computed tokens behind, and the next placement picks the
 * free sequence sharing the longest prefix with its tokens. This file does not decide who is placed
 * or when, and it never talks to the engine: the engine learns of a placement through
 * `ScheduledRequest.isNewlyPlaced` and trims the sequence to `numComputedTokens` itself.
 */

import type {SequenceView} from "./types.ts";

/** What the table reads of a sequence's owner. */
export interface SequenceOwner {
  readonly id: string;
  readonly numComputedTokens: number;
}

/** @internal One sequence's books. */
export interface SequenceSlot<TOwner extends SequenceOwner> {
  readonly index: number;
  owner: TOwner | null;
  /** What a free sequence still holds; empty while owned (the owner's computed tokens say it then). */
  heldTokens: readonly number[];
  /** Tick of the last placement or release; the lowest is the least recently used. */
  lastUsedTick: number;
}

/** A placement decision. */
export interface Placement {
  readonly sequenceIndex: number;
  /** Leading tokens already in the sequence; the owner starts computing from here. */
  readonly numReusedTokens: number;
}

/** Fixed set of sequences with prefix-aware placement. */
export class SequenceTable<TOwner extends SequenceOwner> {
  readonly #slots: SequenceSlot<TOwner>[];
  #numFree: number;
  #tick = 0;
  #numPrefixQueryTokensTotal = 0;
  #numPrefixHitTokensTotal = 0;

  constructor(numSequences: number) {
    this.#slots = Array.from({length: numSequences}, (_, index) => ({index, owner: null, heldTokens: [], lastUsedTick: 0}));
    this.#numFree = numSequences;
  }

  get numFree(): number {
    return this.#numFree;
  }

  /** @internal For invariant checks. */
  get slots(): readonly Readonly<SequenceSlot<TOwner>>[] {
    return this.#slots;
  }

  get numPrefixQueryTokensTotal(): number {
    return this.#numPrefixQueryTokensTotal;
  }

  get numPrefixHitTokensTotal(): number {
    return this.#numPrefixHitTokensTotal;
  }

  /**
   * Gives `owner` the free sequence holding the longest common prefix with `tokens` (ties: least
   * recently used, then lowest index). At most `tokens.length - 1` tokens are reused: the last one
   * must be fed again, since feeding it is what yields the logits for the next sample.
   */
  place(owner: TOwner, tokens: readonly number[]): Placement {
    let best: SequenceSlot<TOwner> | undefined;
    let bestPrefix = -1;
    for (const slot of this.#slots) {
      if (slot.owner !== null) continue;
      const prefix = commonPrefixLength(slot.heldTokens, tokens);
      if (prefix > bestPrefix || (prefix === bestPrefix && slot.lastUsedTick < best!.lastUsedTick)) {
        best = slot;
        bestPrefix = prefix;
      }
    }
    if (best === undefined) throw new Error(`no free sequence for request ${owner.id}`);
    const numReusedTokens = Math.min(bestPrefix, tokens.length - 1);
    this.#numPrefixQueryTokensTotal += tokens.length;
    this.#numPrefixHitTokensTotal += numReusedTokens;
    best.owner = owner;
    best.heldTokens = [];
    best.lastUsedTick = ++this.#tick;
    this.#numFree--;
    return {sequenceIndex: best.index, numReusedTokens};
  }

  /** Frees a sequence, which keeps `heldTokens` (exactly what was fed into it) for later reuse. */
  release(sequenceIndex: number, heldTokens: readonly number[]): void {
    const slot = this.#slots[sequenceIndex];
    if (slot?.owner == null) throw new Error(`sequence ${sequenceIndex} is not owned`);
    slot.owner = null;
    slot.heldTokens = heldTokens;
    slot.lastUsedTick = ++this.#tick;
    this.#numFree++;
  }

  /** A snapshot of every sequence, by index. */
  views(): SequenceView[] {
    return this.#slots.map(({index, owner, heldTokens}) => ({
      index, ownerId: owner?.id ?? null, numHeldTokens: owner?.numComputedTokens ?? heldTokens.length
    }));
  }
}

function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const limit = Math.min(a.length, b.length);
  let length = 0;
  while (length < limit && a[length] === b[length]) length++;
  return length;
}
