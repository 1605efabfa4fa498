/**
 * A sliding, time-based window of one variant's finished requests (error or not, TTFT, TPOT), and
 * the summary guardrails compare: sample count, error rate and p95 latencies. Records older than the
 * retention are dropped as new ones arrive. Owns the records; what counts as a breach is
 * `guardrails.ts`'s, when to look is the router's.
 */

export interface Outcome {
  readonly atMs: number;
  readonly isError: boolean;
  readonly ttftMs: number | null;
  readonly tpotMs: number | null;
}

export interface WindowSummary {
  readonly numSamples: number;
  readonly numErrors: number;
  /** Errors over samples; null without samples. */
  readonly errorRate: number | null;
  readonly ttftP95Ms: number | null;
  readonly tpotP95Ms: number | null;
}

/** Nearest-rank percentile of unsorted values; null when there are none. */
export function percentile(values: readonly number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

export class OutcomeWindow {
  private outcomes: Outcome[] = [];

  constructor(private readonly retentionMs: number) {}

  record(outcome: Outcome): void {
    this.outcomes.push(outcome);
    // Pruning on write, in halves, keeps the cost amortised O(1) without a timer.
    const oldestKeptMs = outcome.atMs - this.retentionMs;
    if (this.outcomes[0]!.atMs < oldestKeptMs && this.outcomes.length > 64) {
      this.outcomes = this.outcomes.filter((entry) => entry.atMs >= oldestKeptMs);
    }
  }

  /** Forgets every record: the window starts afresh (after a weight change, say). */
  clear(): void {
    this.outcomes = [];
  }

  summarize(nowMs: number, windowMs: number): WindowSummary {
    const sinceMs = nowMs - windowMs;
    const recent = this.outcomes.filter((entry) => entry.atMs >= sinceMs);
    const numErrors = recent.filter((entry) => entry.isError).length;
    const ttfts: number[] = [];
    const tpots: number[] = [];
    for (const entry of recent) {
      if (entry.isError) continue;
      if (entry.ttftMs !== null) ttfts.push(entry.ttftMs);
      if (entry.tpotMs !== null) tpots.push(entry.tpotMs);
    }
    return {
      numSamples: recent.length,
      numErrors,
      errorRate: recent.length === 0 ? null : numErrors / recent.length,
      ttftP95Ms: percentile(ttfts, 0.95),
      tpotP95Ms: percentile(tpots, 0.95)
    };
  }
}
