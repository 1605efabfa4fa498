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
import {runLoad} from "../runLoad.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {parseScenarioOptions, servedModelArgs, servedTarget} from "./scenarioPreamble.ts";
import {startServerProcess} from "./serverProcess.ts";
import {ttftByTurnKind} from "./turnLatency.ts";

const {options, modelPath} = parseScenarioOptions("prefixCache", {
  inputLen: {default: "32", help: "tokens per user turn"},
  outputLen: {default: "32", help: "tokens per reply"},
  concurrency: {default: "4", help: "conversations in flight"},
  threads: true,
  rounds: {default: "2", help: "rounds per server"},
  json: true
}, [
  ["--conversations <n>", "conversations per round", "16"],
  ["--turns <n>", "turns per conversation", "4"],
  ["--system-len <n>", "shared system prompt tokens", "500"],
  ["--parallel <n>", "server sequences", "4"],
  ["--no-replay-replies", "synthetic assistant turns in the history instead of the server's own replies"]
]);

const common = servedModelArgs({modelPath, parallel: options.parallel, threads: options.threads, ctxSize: 4096});
await using withCache = await startServerProcess(common);
await using withoutCache = await startServerProcess([...common, "--no-prefix-cache"]);
const numRequests = Number(options.conversations) * Number(options.turns);
const report = await runLoad({
  target: servedTarget(withCache),
  compare: servedTarget(withoutCache),
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

const on = ttftByTurnKind(report, "A");
const off = ttftByTurnKind(report, "B");
console.log(`model ${modelPath}; ${options.conversations} conversations x ${options.turns} turns, system prompt ${options.systemLen} tokens, ` +
  `${options.inputLen} tokens per turn, ${options.outputLen} per reply (${options.replayReplies === true ? "the server's own replies" : "synthetic replies"} in the history); concurrency ${options.concurrency}, ${options.parallel} sequences, ${options.threads} threads; ${options.rounds} rounds each`);
printTableHeader(["turns", "cache on TTFT p50 ms", "cache on p99", "cache off TTFT p50 ms", "cache off p99", "p50 off / on"]);
for (const [name, key] of [["first", "firstTurns"], ["returning", "returningTurns"]] as const) {
  console.log(`| ${name} (${on[key].count}) | ${on[key].p50.toFixed(0)} | ${on[key].p99.toFixed(0)} | ${off[key].p50.toFixed(0)} | ${off[key].p99.toFixed(0)} | ${(off[key].p50 / on[key].p50).toFixed(2)} |`);
}
writeFiguresIfAsked(options.json, {options, on, off, report});
