/**
 * Hands out a round's requests in dataset order, holding back any whose `dependsOn` has not yet
 * completed (the next turn of a conversation). Drivers call `take` when they can send and
 * `complete` when a request is over, failed or not; a failed turn still releases the next one, so
 * a failure never stalls a round. A request that replays earlier replies (`replies`) leaves with
 * them in its history; a failed turn leaves its synthetic text there. It does not send or time anything.
 */
import type {RequestSpec} from "./types.ts";

/** A dependency-aware queue of one round's requests. */
export class WorkQueue {
  readonly #pending: RequestSpec[];
  readonly #completed = new Set<string>();
  readonly #replyTexts = new Map<string, string>();
  #waiters: (() => void)[] = [];
  #inFlight = 0;
  #isClosed = false;

  constructor(specs: readonly RequestSpec[]) {
    this.#pending = [...specs];
  }

  /** Requests not yet taken. */
  get remaining(): number {
    return this.#pending.length;
  }

  /**
   * The first request whose dependency has completed, waiting for one if none is ready yet; null
   * once nothing is left or the queue was closed.
   */
  async take(): Promise<RequestSpec | null> {
    for (;;) {
      if (this.#isClosed || this.#pending.length === 0) return null;
      let index = this.#pending.findIndex((spec) => spec.dependsOn === undefined || this.#completed.has(spec.dependsOn));
      // With nothing in flight no dependency can complete any more (it is not in this round): send anyway.
      if (index === -1 && this.#inFlight === 0) index = 0;
      if (index !== -1) {
        this.#inFlight++;
        const spec = this.#pending.splice(index, 1)[0];
        return spec === undefined ? null : this.#withReplies(spec);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Marks `id` as over, releasing requests that depend on it; `replyText` is kept for those that replay it. */
  complete(id: string, replyText?: string): void {
    this.#completed.add(id);
    if (replyText !== undefined) this.#replyTexts.set(id, replyText);
    this.#inFlight--;
    this.#wake();
  }

  /** Ends the round early (duration reached): waiting and later `take` calls return null. */
  close(): void {
    this.#isClosed = true;
    this.#wake();
  }

  #withReplies(spec: RequestSpec): RequestSpec {
    if (spec.replies === undefined) return spec;
    const messages = [...spec.messages];
    for (const {messageIndex, turnId} of spec.replies) {
      const text = this.#replyTexts.get(turnId);
      const message = messages[messageIndex];
      if (text !== undefined && message !== undefined) messages[messageIndex] = {...message, content: text};
    }
    return {...spec, messages};
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
