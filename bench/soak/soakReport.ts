/**
 * The soak's books and its verdict: outcomes counted per request kind, RSS readings, the leak checks
 * read from the server at the end, the pass/fail checks over all of them, and the summary as a text
 * table. Figures only; no I/O.
 */
import type {SoakKind, SoakOutcome} from "./soakRequest.ts";

/** Past this growth of RSS from the start (after warm-up) to the end, memory is not bounded. */
export const MAX_RSS_GROWTH = 0.1;

/** Outcomes that are the server's fault (or a broken protocol) whenever they occur. */
const FAILURES: readonly SoakOutcome[] = [
  "server_error", "stream_error_event", "incomplete_stream", "network_error", "timeout", "rate_limited_without_retry_after", "client_error"
];

export interface RssReading {
  /** Seconds since the measured phase began (negative: warm-up). */
  readonly atSeconds: number;
  readonly bytes: number;
}

export class OutcomeTally {
  readonly counts = new Map<SoakKind, Map<SoakOutcome, number>>();

  add(kind: SoakKind, outcome: SoakOutcome): void {
    const byOutcome = this.counts.get(kind) ?? new Map<SoakOutcome, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    this.counts.set(kind, byOutcome);
  }

  total(outcome?: SoakOutcome): number {
    let sum = 0;
    for (const byOutcome of this.counts.values()) {
      for (const [key, count] of byOutcome) if (outcome === undefined || key === outcome) sum += count;
    }
    return sum;
  }

  toJSON(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.counts].map(([kind, byOutcome]) => [kind, Object.fromEntries(byOutcome)]));
  }
}

export interface EndState {
  /** Requests `GET /v1/stats` still shows running or waiting once the load stopped and settled. */
  readonly leakedRequests: number;
  /** `inflight:num_requests_running` and `_waiting` summed over models at the end. */
  readonly metricsRunning: number | null;
  readonly metricsWaiting: number | null;
}

export interface SoakSummary {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly measured: OutcomeTally;
  readonly warmup: OutcomeTally;
  readonly rss: {readonly start: RssReading | null; readonly middle: RssReading | null; readonly end: RssReading | null; readonly series: readonly RssReading[]};
  readonly end: EndState;
}

export interface Check {
  readonly name: string;
  readonly isPassed: boolean;
  readonly detail: string;
}

export function rssGrowth(summary: SoakSummary): number | null {
  const {start, end} = summary.rss;
  return start && end ? (end.bytes - start.bytes) / start.bytes : null;
}

export function checksOf(summary: SoakSummary): Check[] {
  const {measured, end} = summary;
  const failures = FAILURES.map((outcome) => measured.total(outcome) + summary.warmup.total(outcome)).reduce((a, b) => a + b, 0);
  const growth = rssGrowth(summary);
  return [
    {name: "requests served", isPassed: measured.total("ok") > 0, detail: `${measured.total("ok")} ok`},
    {name: "no errors", isPassed: failures === 0, detail: `${failures} failed (5xx, broken streams, network, timeouts, 429 without Retry-After)`},
    {name: "overload answered with 429", isPassed: measured.total("rate_limited") > 0, detail: `${measured.total("rate_limited")} x 429 with Retry-After`},
    {name: `RSS growth < ${MAX_RSS_GROWTH * 100}%`, isPassed: growth !== null && growth < MAX_RSS_GROWTH, detail: growth === null ? "no readings" : `${(growth * 100).toFixed(1)}%`},
    {name: "no leaked sequences", isPassed: end.leakedRequests === 0, detail: `${end.leakedRequests} still running or waiting (/v1/stats)`},
    {name: "metrics idle", isPassed: end.metricsRunning === 0 && end.metricsWaiting === 0, detail: `running ${end.metricsRunning}, waiting ${end.metricsWaiting}`}
  ];
}

const mib = (reading: RssReading | null) => (reading === null ? "-" : `${(reading.bytes / 1024 / 1024).toFixed(1)} MiB at ${reading.atSeconds.toFixed(0)} s`);

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n");
}

export function renderSummary(summary: SoakSummary): string {
  const outcomes = [...new Set([...summary.measured.counts.values()].flatMap((byOutcome) => [...byOutcome.keys()]))].sort();
  const rows = [["kind", ...outcomes, "total"]];
  for (const [kind, byOutcome] of summary.measured.counts) {
    rows.push([kind, ...outcomes.map((outcome) => String(byOutcome.get(outcome) ?? 0)), String([...byOutcome.values()].reduce((a, b) => a + b, 0))]);
  }
  rows.push(["all", ...outcomes.map((outcome) => String(summary.measured.total(outcome))), String(summary.measured.total())]);
  const checks = checksOf(summary);
  return [
    `Soak: ${summary.durationSeconds} s measured after ${summary.warmupSeconds} s of warm-up (${summary.warmup.total()} requests)`,
    "",
    "Requests by kind and outcome (measured phase)",
    table(rows),
    "",
    `RSS: start ${mib(summary.rss.start)}, middle ${mib(summary.rss.middle)}, end ${mib(summary.rss.end)}`,
    "",
    "Checks",
    ...checks.map((check) => `  ${check.isPassed ? "PASS" : "FAIL"}  ${check.name}: ${check.detail}`),
    ""
  ].join("\n");
}
