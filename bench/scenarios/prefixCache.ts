/**
 * Scenario: the prefix cache's effect on time to first token. N conversations x T turns over a shared
 * system prompt (the bench's multi-turn chat dataset), against two servers started here with the
 * same flags except the prefix cache (on: resident sequences plus the host-memory tier; off:
 * `--no-prefix-cache`), alternating rounds A, B. Prints TTFT p50/p99 of first turns and of returning
 * turns for both, and the ratio. The history's assistant turns are each server's own replies, as a
 * chat client sends them; `--no-replay-replies` puts synthetic text there instead (identical
 * requests for both servers, but a server never finds its last reply in its cache).
 *
 *   npm run bench:prefix -- --model synthetic:small --conversations 16 --turns 4 --system-len 500
 */
import {writeFileSync} from "node:fs";
import {cpus} from "node:os";
import {Command} from "commander";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import {runLoad} from "../runLoad.ts";
import {percentile} from "../stats.ts";
import type {RequestResult} from "../types.ts";
import {startServerProcess} from "./serverProcess.ts";

const options = new Command("prefixCache")
  .option("--model <model>", "GGUF path or synthetic:NAME", "synthetic:small")
  .option("--conversations <n>", "conversations per round", "16")
  .option("--turns <n>", "turns per conversation", "4")
  .option("--system-len <n>", "shared system prompt tokens", "500")
  .option("--input-len <n>", "tokens per user turn", "32")
  .option("--output-len <n>", "tokens per reply", "32")
  .option("--concurrency <n>", "conversations in flight", "4")
  .option("--parallel <n>", "server sequences", "4")
  .option("--threads <n>", "llama.cpp threads", String(Math.min(2, cpus().length)))
  .option("--rounds <n>", "rounds per server", "2")
  .option("--no-replay-replies", "synthetic assistant turns in the history instead of the server's own replies")
  .option("--json <file>", "write every figure here")
  .parse()
  .opts();

const source = resolveModelSource(options.model);
const common = ["--model", source.path, "--model-name", "bench", "--parallel", options.parallel, "--threads", options.threads, "--ctx-size", "4096"];
await using withCache = await startServerProcess(common);
await using withoutCache = await startServerProcess([...common, "--no-prefix-cache"]);
const numRequests = Number(options.conversations) * Number(options.turns);
const report = await runLoad({
  target: {url: withCache.url, model: "bench"},
  compare: {url: withoutCache.url, model: "bench"},
  workload: {kind: "concurrency", levels: [Number(options.concurrency)]},
  numRequests,
  rounds: Number(options.rounds),
  warmupRequests: 1,
  dataset: {
    kind: "chat", systemLen: Number(options.systemLen), turns: Number(options.turns), inputLen: Number(options.inputLen),
    outputLen: Number(options.outputLen), lenSpread: 0, isReplyReplayed: options.replayReplies === true
  },
  isIgnoreEos: true,
  isMetricsEnabled: false,
  isPerRequestKept: true
});

/** TTFT p50/p99 of first turns (t0) and returning turns (t1...), pooled over a server's rounds. */
function ttftByTurnKind(label: "A" | "B") {
  const results: RequestResult[] = report.rounds.filter((round) => round.label === label).flatMap((round) => round.requests ?? []);
  const failed = results.filter((result) => !result.isSuccess).length;
  if (failed > 0) throw new Error(`${failed} requests failed on server ${label}`);
  const ttfts = (isReturning: boolean) => results
    .filter((result) => /t(\d+)$/.exec(result.id)![1] !== "0" === isReturning)
    .map((result) => result.ttftMs!)
    .sort((a, b) => a - b);
  const summary = (sorted: number[]) => ({count: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99)});
  return {firstTurns: summary(ttfts(false)), returningTurns: summary(ttfts(true))};
}

const on = ttftByTurnKind("A");
const off = ttftByTurnKind("B");
console.log(`model ${source.path}; ${options.conversations} conversations x ${options.turns} turns, system prompt ${options.systemLen} tokens, ` +
  `${options.inputLen} tokens per turn, ${options.outputLen} per reply (${options.replayReplies === true ? "the server's own replies" : "synthetic replies"} in the history); concurrency ${options.concurrency}, ${options.parallel} sequences, ${options.threads} threads; ${options.rounds} rounds each`);
console.log("| turns | cache on TTFT p50 ms | cache on p99 | cache off TTFT p50 ms | cache off p99 | p50 off / on |");
console.log("|---|---|---|---|---|---|");
for (const [name, key] of [["first", "firstTurns"], ["returning", "returningTurns"]] as const) {
  console.log(`| ${name} (${on[key].count}) | ${on[key].p50.toFixed(0)} | ${on[key].p99.toFixed(0)} | ${off[key].p50.toFixed(0)} | ${off[key].p99.toFixed(0)} | ${(off[key].p50 / on[key].p50).toFixed(2)} |`);
}
if (options.json) writeFileSync(options.json, JSON.stringify({options, on, off, report}, null, 2));
