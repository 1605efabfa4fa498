/**
 * Summary statistics of a latency sample. One percentile definition for the whole bench: linear
 * interpolation between closest ranks, numpy's default (Hyndman and Fan type 7). For sorted values
 * x[0..n-1] and p in [0, 1]:
 *
 *   h = (n - 1) * p,  percentile = x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])
 *
 * So the median of [1, 2, 3, 4] is 2.5 and p99 never exceeds the maximum. No I/O, no units.
 */
import type {LatencySummary} from "./types.ts";

/** The `p`-quantile (0..1) of ascending `sorted` values; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile must be in [0, 1], got ${p}`);
  const h = (sorted.length - 1) * p;
  const low = Math.floor(h);
  const lowValue = sorted[low] ?? Number.NaN;
  const highValue = sorted[Math.min(low + 1, sorted.length - 1)] ?? lowValue;
  return lowValue + (h - low) * (highValue - lowValue);
}

/** The median of unsorted `values` (by the same definition); NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

/** Count, mean, median, p90, p99, min and max of `values`; null when there are none. */
export function summarize(values: readonly number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    median: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN
  };
}
