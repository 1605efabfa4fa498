/**
 * Arrival times of the open-loop workload: a Poisson process, that is independent exponential gaps
 * with mean `1 / rate`. Pure and seeded, so the schedule is known before the first request and can
 * be tested without waiting. Sending at these times is the driver's job, not this file's.
 */
import {createRng} from "./random.ts";

/** Limits of one arrival schedule; generation stops at whichever is reached first. */
export interface ArrivalOptions {
  /** Mean arrivals per second; `Infinity` puts every arrival at time 0. */
  readonly ratePerSecond: number;
  readonly maxCount: number;
  /** Only arrivals strictly before this offset are kept. */
  readonly durationMs?: number;
  readonly seed: number;
}

/** Offsets in ms from the start of the round, ascending; the first arrival is after one gap, not at 0. */
export function poissonArrivalTimes(options: ArrivalOptions): number[] {
  const {ratePerSecond, maxCount, durationMs, seed} = options;
  if (!(ratePerSecond > 0)) throw new RangeError(`rate must be positive, got ${ratePerSecond}`);
  if (ratePerSecond === Infinity) return new Array<number>(maxCount).fill(0);
  const rng = createRng(seed);
  const ratePerMs = ratePerSecond / 1000;
  const times: number[] = [];
  let t = 0;
  while (times.length < maxCount) {
    t += rng.exponential(ratePerMs);
    if (durationMs !== undefined && t >= durationMs) break;
    times.push(t);
  }
  return times;
}
