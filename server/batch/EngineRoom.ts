/**
 * How many batch requests one engine may take now, so batch work stays below online work whatever the
 * scheduling policy: batch requests fill idle capacity. The online load is sampled at every step
 * (running and waiting requests that are not the batch's); its recent peak is held for `holdMs` before
 * it may fall, so sequences an interactive client frees between two of its requests stay free for its
 * next one. While online requests hold sequences, at most `maxBesideOnline` batch requests run beside
 * them, and never in a sequence online requests use (on a CPU every extra sequence slows each step
 * for everyone); with no online traffic the batch gets every sequence, up to `maxInFlight`.
 */
import type {Engine} from "../../engine/Engine.ts";

export interface EngineRoomOptions {
  /** Most batch requests in the engine at once (`--batch-max-in-flight`; Infinity: its sequences count). */
  readonly maxInFlight: number;
  /** `--batch-max-beside-online`: most batch requests while online ones run; Infinity: every sequence they leave. */
  readonly maxBesideOnline: number;
  /** How long a peak of online requests keeps its sequences reserved. */
  readonly holdMs: number;
  readonly clock?: () => number;
}

export class EngineRoom {
  /** Batch requests submitted to the engine and not finished there. */
  numInFlight = 0;
  private readonly numSequences: number;
  private readonly clock: () => number;
  private heldPeak = 0;
  private heldSinceMs = 0;

  constructor(readonly engine: Engine, private readonly options: EngineRoomOptions) {
    this.numSequences = engine.scheduler.getSequences().length;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Online requests now: everything the engine holds that is not the batch's. */
  private numOnline(): number {
    const stats = this.engine.stats;
    return Math.max(0, stats.numRunning + stats.numWaiting + stats.numPreempted - this.numInFlight);
  }

  /** Samples the online load; call at every step and before every decision. */
  observe(): void {
    const online = this.numOnline();
    const nowMs = this.clock();
    if (online >= this.heldPeak || nowMs - this.heldSinceMs > this.options.holdMs) {
      this.heldPeak = online;
      this.heldSinceMs = nowMs;
    }
  }

  /** Online requests whose sequences are reserved: the held peak, never below the load now. */
  get numReserved(): number {
    return Math.max(this.heldPeak, this.numOnline());
  }

  /** Most batch requests this engine takes at once, when it has no online work. */
  get capacity(): number {
    return Math.min(this.options.maxInFlight, this.numSequences);
  }

  /** How many more batch requests may be submitted now. */
  available(): number {
    this.observe();
    const reserved = this.numReserved;
    const limit = reserved === 0 ? this.capacity : Math.min(this.capacity, this.numSequences - reserved, this.options.maxBesideOnline);
    return Math.max(0, limit - this.numInFlight);
  }
}
