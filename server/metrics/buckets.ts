/**
 * Histogram bucket bounds for LLM serving, in seconds or tokens. Chosen for the quantiles operators
 * graph (p50, p90, p99): `histogram_quantile` interpolates linearly inside a bucket, so bounds are
 * dense where values usually fall and sparse in the tails. Owns the numbers and why; nothing else.
 * README.md's Metrics section lists them for users.
 */

/**
 * Request-level latencies (time to first token, end-to-end, queue time): from a millisecond (a cached
 * prompt on a GPU, an empty queue) to 10 minutes (a long generation on a CPU under load). Roughly
 * 1-2.5-5 per decade below a second, where SLOs on TTFT sit, then steps an operator reads directly.
 */
export const REQUEST_LATENCY_BUCKETS_S: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75,
  1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600
];

/**
 * Per-token latencies (inter-token latency, time per output token): a GPU decodes a token in 5-50 ms,
 * a CPU in 10-300 ms, and a stall behind a long prefill chunk or a slow reader reaches seconds. Dense
 * from 1 ms to 100 ms, where streaming feels smooth or does not.
 */
export const TOKEN_LATENCY_BUCKETS_S: readonly number[] = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075,
  0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10
];

/** Tokens per request (prompt or generation): 1-2-5 per decade up to 200k, past any context we serve. */
export const TOKEN_COUNT_BUCKETS: readonly number[] = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000
];
