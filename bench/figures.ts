/**
 * Turns request results into the report's figures: throughputs, latency summaries, goodput and
 * failure counts for one server at one level (pooled over its rounds), and the B / A ratios of a
 * comparison. Latency figures use successful requests only; a failed request counts as sent and
 * under its failure type. Pure arithmetic over records.
 */
import {summarize} from "./stats.ts";
import type {
  FailureType,
  FigureRatios,
  GoodputFigures,
  LatencyRatios,
  LatencySummary,
  RequestResult,
  ServerFigures,
  SloConfig
} from "./types.ts";

/** The results and duration of one round, as the figures need them. */
export interface RoundResults {
  readonly results: readonly RequestResult[];
  readonly durationMs: number;
}

/** Inputs of `computeServerFigures` beyond the rounds. */
export interface ServerFiguresInput {
  readonly label: "A" | "B";
  readonly url: string;
  readonly rounds: readonly RoundResults[];
  readonly slo?: SloConfig;
  readonly serverMetrics: Readonly<Record<string, number>> | null;
}

/** Every figure of one server at one level. */
export function computeServerFigures(input: ServerFiguresInput): ServerFigures {
  const all = input.rounds.flatMap((round) => round.results);
  const successes = all.filter((result) => result.isSuccess);
  const durationMs = input.rounds.reduce((sum, round) => sum + round.durationMs, 0);
  const seconds = durationMs / 1000;
  const perSecond = (count: number): number => (seconds > 0 ? count / seconds : 0);
  const failuresByType: Partial<Record<FailureType, number>> = {};
  for (const result of all) {
    if (result.failure !== undefined) failuresByType[result.failure.type] = (failuresByType[result.failure.type] ?? 0) + 1;
  }
  const totalOutputTokens = sum(successes.map((result) => result.outputTokens));
  const totalPromptTokens = sum(successes.map((result) => result.promptTokens));
  const contentChunks = sum(successes.map((result) => result.contentChunks));
  return {
    label: input.label,
    url: input.url,
    rounds: input.rounds.length,
    sent: all.length,
    completed: successes.length,
    failed: all.length - successes.length,
    failuresByType,
    numRetriedOnFreshConnection: all.filter((result) => result.isRetriedOnFreshConnection === true).length,
    durationMs,
    requestThroughput: perSecond(successes.length),
    outputTokenThroughput: perSecond(totalOutputTokens),
    totalTokenThroughput: perSecond(totalOutputTokens + totalPromptTokens),
    totalPromptTokens,
    totalOutputTokens,
    tokenizerCountedRequests: successes.filter((result) => result.outputTokensSource === "tokenizer").length,
    meanTokensPerChunk: contentChunks > 0 ? totalOutputTokens / contentChunks : null,
    ttftMs: summarize(defined(successes.map((result) => result.ttftMs))),
    itlMs: summarize(successes.flatMap((result) => result.itlMs)),
    tpotMs: summarize(defined(successes.map((result) => result.tpotMs))),
    e2eMs: summarize(successes.map((result) => result.e2eMs)),
    goodput: input.slo === undefined ? null : goodput(all, successes, input.slo, perSecond),
    serverMetrics: input.serverMetrics
  };
}

/**
 * Whether a successful request meets every limit of `slo`. A request without a TPOT (one output
 * token, or not streamed) cannot violate a TPOT limit and passes it.
 */
export function meetsSlo(result: RequestResult, slo: SloConfig): boolean {
  if (!result.isSuccess) return false;
  if (slo.ttftMs !== undefined && (result.ttftMs === undefined || result.ttftMs > slo.ttftMs)) return false;
  if (slo.tpotMs !== undefined && result.tpotMs !== undefined && result.tpotMs > slo.tpotMs) return false;
  if (slo.e2eMs !== undefined && result.e2eMs > slo.e2eMs) return false;
  return true;
}

/** B / A of every compared figure; for latencies below 1 means B is faster, for throughputs above 1. */
export function computeRatios(a: ServerFigures, b: ServerFigures): FigureRatios {
  return {
    requestThroughput: ratio(a.requestThroughput, b.requestThroughput),
    outputTokenThroughput: ratio(a.outputTokenThroughput, b.outputTokenThroughput),
    totalTokenThroughput: ratio(a.totalTokenThroughput, b.totalTokenThroughput),
    goodputRequestsPerSecond: ratio(a.goodput?.requestsPerSecond, b.goodput?.requestsPerSecond),
    ttftMs: latencyRatios(a.ttftMs, b.ttftMs),
    itlMs: latencyRatios(a.itlMs, b.itlMs),
    tpotMs: latencyRatios(a.tpotMs, b.tpotMs),
    e2eMs: latencyRatios(a.e2eMs, b.e2eMs)
  };
}

/** `b / a`, or null when either is missing or `a` is zero. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || a === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return b / a;
}

function latencyRatios(a: LatencySummary | null, b: LatencySummary | null): LatencyRatios {
  return {
    mean: ratio(a?.mean, b?.mean),
    median: ratio(a?.median, b?.median),
    p90: ratio(a?.p90, b?.p90),
    p99: ratio(a?.p99, b?.p99)
  };
}

function goodput(
  all: readonly RequestResult[],
  successes: readonly RequestResult[],
  slo: SloConfig,
  perSecond: (count: number) => number
): GoodputFigures {
  const goodRequests = successes.filter((result) => meetsSlo(result, slo)).length;
  return {slo, goodRequests, requestsPerSecond: perSecond(goodRequests), fraction: all.length > 0 ? goodRequests / all.length : 0};
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function defined(values: readonly (number | undefined)[]): number[] {
  return values.filter((value): value is number => value !== undefined);
}
