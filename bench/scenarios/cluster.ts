/**
 * Scenario: what session stickiness buys behind a load balancer. N replicas behind HAProxy (the
 * local cluster of `npm run cluster`, running the shipped deploy/haproxy/inflight.cfg), once with
 * its consistent hashing on the session key (sticky) and once round robin, each time with fresh
 * replicas; the same multi-turn chat goes through it, every conversation naming itself with
 * `x-session-id`. Prints per balance mode the prefix-cache hit rate over all replicas (scraped from
 * each replica's own /metrics: through HAProxy a scrape would reach only one), TTFT of first and
 * returning turns, output tokens/s and how the requests spread over the replicas. Rounds alternate
 * the order of the two modes.
 *
 *   npm run bench:cluster -- --model synthetic:small --replicas 3 --conversations 24 --turns 4
 */
import {cpus} from "node:os";
import {LocalCluster} from "../../deploy/local/LocalCluster.ts";
import type {BalanceMode} from "../../deploy/local/haproxyConfig.ts";
import {counterDeltas, type PromScrape} from "../promMetrics.ts";
import {runLoad} from "../runLoad.ts";
import {scrapeMetrics} from "../scrapeMetrics.ts";
import {percentile} from "../stats.ts";
import type {BenchReport} from "../types.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {parseScenarioOptions, SERVED_MODEL_NAME, servedModelArgs} from "./scenarioPreamble.ts";

const {options, modelPath} = parseScenarioOptions("cluster", {
  inputLen: {default: "32", help: "tokens per user turn"},
  outputLen: {default: "32", help: "tokens per reply"},
  concurrency: {default: "6", help: "conversations in flight"},
  rounds: {default: "1", help: "rounds of both modes (a fresh cluster each)"},
  json: true
}, [
  ["--replicas <n>", "replicas behind HAProxy", "3"],
  ["--threads <n>", "llama.cpp threads per replica (default: the machine's cores shared among the replicas)"],
  ["--conversations <n>", "conversations per run", "24"],
  ["--turns <n>", "turns per conversation", "4"],
  ["--system-len <n>", "tokens of the system prompt, shared by all conversations", "200"],
  ["--parallel <n>", "sequences per replica", "4"]
]);

const numReplicas = Number(options.replicas);
const threads = options.threads ?? String(Math.max(1, Math.floor(cpus().length / numReplicas)));
const serverArgs = [...servedModelArgs({modelPath, parallel: options.parallel, threads, ctxSize: 4096}), "--log-level", "warn"];

interface ModeFigures {
  readonly balance: BalanceMode;
  readonly prefixHitRate: number;
  readonly requestsPerReplica: readonly number[];
  readonly report: BenchReport;
}

/** The sum over every series of `name` in a delta keyed by series. */
function sumOf(deltas: Readonly<Record<string, number>>, name: string): number {
  return Object.entries(deltas).filter(([key]) => key === name || key.startsWith(`${name}{`)).reduce((total, [, value]) => total + value, 0);
}

async function scrapeReplicas(cluster: LocalCluster): Promise<PromScrape[]> {
  return Promise.all(cluster.replicas.map(async (replica) => {
    const scrape = await scrapeMetrics({url: replica.url}, "/metrics");
    if (scrape === null) throw new Error(`no /metrics on ${replica.name}`);
    return scrape;
  }));
}

async function runMode(balance: BalanceMode): Promise<ModeFigures> {
  await using cluster = await LocalCluster.start({numReplicas, serverArgs, balance});
  const before = await scrapeReplicas(cluster);
  const report = await runLoad({
    target: {url: cluster.url, model: SERVED_MODEL_NAME},
    workload: {kind: "concurrency", levels: [Number(options.concurrency)]},
    numRequests: Number(options.conversations) * Number(options.turns),
    warmupRequests: 0,
    dataset: {kind: "chat", systemLen: Number(options.systemLen), turns: Number(options.turns), inputLen: Number(options.inputLen),
      outputLen: Number(options.outputLen), lenSpread: 0},
    sessionKey: "header",
    isIgnoreEos: true,
    isMetricsEnabled: false,
    isPerRequestKept: true
  });
  const after = await scrapeReplicas(cluster);
  const deltas = before.map((scrape, index) => counterDeltas(scrape, after[index]!));
  const queries = deltas.reduce((total, delta) => total + sumOf(delta, "inflight:prefix_cache_queries_total"), 0);
  const hits = deltas.reduce((total, delta) => total + sumOf(delta, "inflight:prefix_cache_hits_total"), 0);
  const failed = report.levels[0]!.servers[0]!.failed;
  if (failed > 0) throw new Error(`${failed} requests failed with ${balance} balancing`);
  return {balance, prefixHitRate: queries === 0 ? 0 : hits / queries, report,
    requestsPerReplica: deltas.map((delta) => sumOf(delta, "inflight:request_success_total"))};
}

/** TTFT p50 and p99 in ms of first turns (t0) or returning turns (t1...). */
function ttft(report: BenchReport, isReturning: boolean): {p50: number; p99: number} {
  const sorted = report.rounds.flatMap((round) => round.requests ?? [])
    .filter((result) => (/t(\d+)$/.exec(result.id)![1] !== "0") === isReturning)
    .map((result) => result.ttftMs!)
    .sort((a, b) => a - b);
  return {p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99)};
}

const runs: ModeFigures[] = [];
for (let round = 0; round < Number(options.rounds); round++) {
  const order: BalanceMode[] = round % 2 === 0 ? ["session", "roundrobin"] : ["roundrobin", "session"];
  for (const balance of order) runs.push(await runMode(balance));
}

console.log(`model ${modelPath}; ${numReplicas} replicas (${options.parallel} sequences, ${threads} threads each) behind HAProxy; ` +
  `${options.conversations} conversations x ${options.turns} turns, system prompt ${options.systemLen} tokens, ${options.inputLen} tokens per turn, ` +
  `${options.outputLen} per reply; concurrency ${options.concurrency}; ${options.rounds} round(s)`);
printTableHeader(["balance", "prefix-cache hit rate", "first turns TTFT p50 ms", "returning turns TTFT p50 ms", "returning p99 ms", "output tok/s", "requests per replica"]);
for (const run of runs) {
  const first = ttft(run.report, false);
  const returning = ttft(run.report, true);
  const throughput = run.report.levels[0]!.servers[0]!.outputTokenThroughput;
  const name = run.balance === "session" ? "sticky (session key)" : "round robin";
  console.log(`| ${name} | ${(run.prefixHitRate * 100).toFixed(1)}% | ${first.p50.toFixed(0)} | ${returning.p50.toFixed(0)} | ${returning.p99.toFixed(0)} | ` +
    `${throughput.toFixed(1)} | ${run.requestsPerReplica.join(" / ")} |`);
}
writeFiguresIfAsked(options.json, {options, runs});
