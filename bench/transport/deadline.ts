/**
 * One request's time limit and cancellation, as a single AbortSignal. It remembers which of the two
 * fired, because fetch and ws report both the same way and the report must tell a timeout from a
 * user's abort.
 */
import {onSharedAbort} from "./sharedAbort.ts";

/** An AbortSignal that fires after `timeoutMs` or when `parent` aborts. Call `dispose` when done. */
export class RequestDeadline {
  readonly signal: AbortSignal;
  #isTimedOut = false;
  #isAborted = false;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #stopListening: () => void;

  constructor(timeoutMs: number, parent?: AbortSignal) {
    this.signal = this.#controller.signal;
    this.#timer = setTimeout(() => {
      this.#isTimedOut = true;
      this.#controller.abort();
    }, timeoutMs);
    const onParentAbort = (): void => {
      this.#isAborted = true;
      this.#controller.abort();
    };
    if (parent === undefined || parent.aborted) {
      if (parent?.aborted === true) onParentAbort();
      this.#stopListening = () => undefined;
    } else {
      // Every request in flight shares the run's signal.
      this.#stopListening = onSharedAbort(parent, onParentAbort);
    }
  }

  get isTimedOut(): boolean {
    return this.#isTimedOut;
  }

  get isAborted(): boolean {
    return this.#isAborted;
  }

  /** Stops the timer and the parent listener; the signal stays as it is. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#stopListening();
  }
}
