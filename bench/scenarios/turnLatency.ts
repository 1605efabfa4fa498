/**
 * Time to first token of a multi-turn chat run, split by turn kind: first turns (`...t0`) prefill a
 * whole conversation start, returning turns (`...t1`, `...t2`, ...) find their history cached when a
 * server caches prompts. Pooled over one server's rounds of a report kept with its requests.
 */
import {percentile} from "../stats.ts";
import type {BenchReport, RequestResult} from "../types.ts";

export interface TurnTtft {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
}

/** TTFT p50/p99 of first and of returning turns; throws if any of the server's requests failed. */
export function ttftByTurnKind(report: BenchReport, label: "A" | "B"): {readonly firstTurns: TurnTtft; readonly returningTurns: TurnTtft} {
  const results: RequestResult[] = report.rounds.filter((round) => round.label === label).flatMap((round) => round.requests ?? []);
  const failed = results.filter((result) => !result.isSuccess).length;
  if (failed > 0) throw new Error(`${failed} requests failed on server ${label}`);
  const ttfts = (isReturning: boolean) => results
    .filter((result) => /t(\d+)$/.exec(result.id)![1] !== "0" === isReturning)
    .map((result) => result.ttftMs!)
    .sort((a, b) => a - b);
  const summary = (sorted: number[]): TurnTtft => ({count: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99)});
  return {firstTurns: summary(ttfts(false)), returningTurns: summary(ttfts(true))};
}
