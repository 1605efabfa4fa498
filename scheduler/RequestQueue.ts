/**
 * The scheduler's queue of requests that wait for a sequence: new arrivals and preempted requests.
 * It owns the order only (fcfs or priority, with preempted requests first within their priority
 * class); it does not decide when an entry is admitted, how many entries may wait, or what a request
 * holds. Entries are kept sorted best first, so `pop` takes the first one and insertion and removal
 * are a binary search plus one splice.
 */

import type {SchedulingPolicy} from "./types.ts";

/** What the queue reads of an entry. The fields must not change while the entry is queued. */
export interface QueueEntry {
  readonly id: string;
  readonly priority: number;
  /** Unique, increasing with arrival; breaks ties so that equal priorities are served FCFS. */
  readonly arrivalOrder: number;
  /** Preempted entries go ahead of new arrivals of the same priority class, so they resume first. */
  readonly isResuming: boolean;
}

/** A sorted waiting queue under one {@link SchedulingPolicy}. */
export class RequestQueue<T extends QueueEntry> implements Iterable<T> {
  readonly #policy: SchedulingPolicy;
  /** Best first. */
  readonly #entries: T[] = [];

  constructor(policy: SchedulingPolicy) {
    this.#policy = policy;
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * Orders two entries: negative when `a` goes first. Under "fcfs" the priority is ignored, so all
   * entries form one class.
   */
  compare(a: QueueEntry, b: QueueEntry): number {
    if (this.#policy === "priority" && a.priority !== b.priority) return a.priority < b.priority ? -1 : 1;
    if (a.isResuming !== b.isResuming) return a.isResuming ? -1 : 1;
    return a.arrivalOrder - b.arrivalOrder;
  }

  /** Inserts `entry` at its place in the order. Throws if it is already queued. */
  push(entry: T): void {
    const index = this.#lowerBound(entry);
    if (this.#entries[index] === entry) throw new Error(`request ${entry.id} is already queued`);
    this.#entries.splice(index, 0, entry);
  }

  /** Takes the entry to admit next. */
  pop(): T | undefined {
    return this.#entries.shift();
  }

  /** Removes `entry`; returns false when it was not queued. */
  remove(entry: T): boolean {
    const index = this.#lowerBound(entry);
    if (this.#entries[index] !== entry) return false;
    this.#entries.splice(index, 1);
    return true;
  }

  /** Iterates best first. The queue must not be modified during iteration. */
  [Symbol.iterator](): Iterator<T> {
    return this.#entries[Symbol.iterator]();
  }

  /** First index whose entry does not go before `entry`. */
  #lowerBound(entry: QueueEntry): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.compare(this.#entries[middle]!, entry) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
