/**
 * Listens to a signal that many requests share (a run's Ctrl-C) with one listener per signal,
 * however many requests are in flight. One listener per request would pass Node's limit of ten
 * per signal at any concurrency above ten, and Node would warn of a leak.
 */

type Listener = () => void;

/** The listeners of one shared signal, behind the single listener it carries. */
class AbortFanOut {
  readonly #listeners = new Set<Listener>();

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener("abort", this.#relay, {once: true});
  }

  add(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return;
      this.signal.removeEventListener("abort", this.#relay);
      fanOuts.delete(this.signal);
    };
  }

  readonly #relay = (): void => {
    fanOuts.delete(this.signal);
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  };
}

const fanOuts = new WeakMap<AbortSignal, AbortFanOut>();

/**
 * Calls `listener` once when `signal` aborts; the returned function stops listening. The signal
 * carries one listener of this module's while anyone listens, none after.
 */
export function onSharedAbort(signal: AbortSignal, listener: Listener): () => void {
  let fanOut = fanOuts.get(signal);
  if (fanOut === undefined) {
    fanOut = new AbortFanOut(signal);
    fanOuts.set(signal, fanOut);
  }
  return fanOut.add(listener);
}
