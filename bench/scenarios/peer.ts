/**
 * Scenario: inflight side by side with llama.cpp's own `llama-server` on the same GGUF, the same
 * threads, the same number of slots and the same context per slot (llama-server's other settings
 * are its defaults, prompt caching per slot included). Both servers run for the whole scenario;
 * every load runs alternating rounds A (inflight), B (llama-server), so only neighbouring rounds
 * are compared. Loads:
 *   - closed loop at each `--levels` concurrency (random prompts, `--output-len` tokens each);
 *   - Poisson arrivals at `--loads` fractions of the capacity measured at the highest closed-loop
 *     level (the slower server's request throughput, so that neither is pushed past its own);
 *   - a multi-turn chat over a shared system prompt, each server's own replies replayed into the
 *     history, where returning turns show the prompt caches.
 * Prints one table: each figure for inflight / llama-server and their ratio (below 1 is better for
 * latencies, above 1 for throughput). Needs `npm run bench:reference` once (it builds llama-server).
 *
 *   npm run bench:peer -- --model synthetic:small --threads 2 --parallel 8
 */
import {runLoad} from "../runLoad.ts";
import type {BenchConfigInput} from "../config.ts";
import type {BenchReport, ServerFigures} from "../types.ts";
import {startLlamaServer} from "./llamaServerProcess.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {parseScenarioOptions, SERVED_MODEL_NAME, servedModelArgs, servedTarget} from "./scenarioPreamble.ts";
import {startServerProcess} from "./serverProcess.ts";
import {ttftByTurnKind} from "./turnLatency.ts";

const {options, modelPath} = parseScenarioOptions("peer", {
  threads: true,
  rounds: {default: "2", help: "rounds per server and load (alternating)"},
  inputLen: {default: "128", help: "prompt tokens of the closed-loop and Poisson loads"},
  outputLen: {default: "128", help: "tokens per request of the closed-loop and Poisson loads"},
  json: true
}, [
  ["--parallel <n>", "slots (sequences) of each server", "8"],
  ["--ctx-per-slot <n>", "context tokens per slot", "2048"],
  ["--levels <list>", "closed-loop concurrencies", "1,8,16"],
  ["--requests <n>", "requests per round of each closed-loop and Poisson load", "32"],
  ["--loads <list>", "Poisson arrival rates, as fractions of the measured capacity", "0.5,0.9"],
  ["--conversations <n>", "multi-turn chat: conversations per round", "12"],
  ["--turns <n>", "multi-turn chat: turns per conversation", "4"],
  ["--system-len <n>", "multi-turn chat: tokens of the shared system prompt", "400"],
  ["--turn-len <n>", "multi-turn chat: tokens per user turn and per reply", "32"],
  ["--chat-concurrency <n>", "multi-turn chat: conversations in flight", "4"],
  ["--inflight-args <args>", "more arguments for inflight, space-separated (for an A/B of a setting)", ""]
]);

const parallel = Number(options.parallel);
const ctxPerSlot = Number(options.ctxPerSlot);
const inflightArgs = [
  ...servedModelArgs({modelPath, parallel, threads: options.threads, ctxSize: ctxPerSlot}),
  ...String(options.inflightArgs).split(" ").filter(Boolean)
];
// llama-server's -c is the whole context, shared out among its slots; flash attention is off in
// both (node-llama-cpp's default), and both use `bench` as the model's name.
const llamaServerArgs = [
  "-m", modelPath, "-a", SERVED_MODEL_NAME, "-t", String(options.threads), "-tb", String(options.threads),
  "-np", String(parallel), "-c", String(parallel * ctxPerSlot), "-fa", "off"
];
await using inflight = await startServerProcess(inflightArgs);
await using llamaServer = await startLlamaServer(llamaServerArgs);

const rounds = Number(options.rounds);
const numRequests = Number(options.requests);
const randomPrompts = {kind: "random", inputLen: Number(options.inputLen), outputLen: Number(options.outputLen), lenSpread: 0} as const;

async function sideBySide(input: Omit<BenchConfigInput, "target" | "compare" | "rounds" | "isIgnoreEos" | "isMetricsEnabled">): Promise<BenchReport> {
  const report = await runLoad({
    target: servedTarget(inflight), compare: servedTarget(llamaServer), rounds, isIgnoreEos: true, isMetricsEnabled: false, ...input
  });
  for (const level of report.levels) {
    for (const server of level.servers) {
      if (server.failed > 0) throw new Error(`${server.failed} requests failed on ${server.url}: ${JSON.stringify(server.failuresByType)}`);
    }
  }
  return report;
}

const levels = String(options.levels).split(",").map(Number);
// Each load has its own seed: a load must not send prompts an earlier one left in the prompt caches.
const closedLoop = await sideBySide({workload: {kind: "concurrency", levels}, numRequests, warmupRequests: 2, dataset: randomPrompts, seed: 1});
const busiest = closedLoop.levels.at(-1)!;
const capacityPerSecond = Math.min(...busiest.servers.map((server) => server.requestThroughput));
const loadFractions = String(options.loads).split(",");
const rates = loadFractions.map((fraction) => Number(fraction) * capacityPerSecond);
const poisson = await sideBySide({workload: {kind: "rate", levels: rates}, numRequests, warmupRequests: 0, dataset: randomPrompts, seed: 2});
const turnLen = Number(options.turnLen);
const chat = await sideBySide({
  workload: {kind: "concurrency", levels: [Number(options.chatConcurrency)]},
  numRequests: Number(options.conversations) * Number(options.turns),
  warmupRequests: 1,
  seed: 3,
  dataset: {kind: "chat", systemLen: Number(options.systemLen), turns: Number(options.turns), inputLen: turnLen, outputLen: turnLen, lenSpread: 0, isReplyReplayed: true},
  isPerRequestKept: true
});

/** `a / b (ratio)` for one figure of both servers. */
function cell(a: number | undefined, b: number | undefined, digits = 0): string {
  if (a === undefined || b === undefined) return "-";
  return `${a.toFixed(digits)} / ${b.toFixed(digits)} (${(a / b).toFixed(2)})`;
}

function row(load: string, [a, b]: readonly ServerFigures[]): string {
  return `| ${load} | ${cell(a!.outputTokenThroughput, b!.outputTokenThroughput, 1)} | ${cell(a!.ttftMs?.median, b!.ttftMs?.median)} | ` +
    `${cell(a!.tpotMs?.median, b!.tpotMs?.median, 1)} | ${cell(a!.tpotMs?.p99, b!.tpotMs?.p99, 1)} | ${cell(a!.itlMs?.p99, b!.itlMs?.p99)} |`;
}

console.log(`model ${modelPath}; ${options.threads} threads, ${parallel} slots of ${ctxPerSlot} tokens each; ` +
  `${options.inputLen}-token prompts, ${options.outputLen} tokens each, ${numRequests} requests per round; ${rounds} alternating rounds per load; ` +
  `capacity ${capacityPerSecond.toFixed(2)} requests/s (closed loop at ${busiest.level})` +
  (String(options.inflightArgs).trim() ? `; inflight also given: ${String(options.inflightArgs)}` : ""));
printTableHeader(["load", "output tok/s", "TTFT p50 ms", "TPOT p50 ms", "TPOT p99 ms", "ITL p99 ms"]);
for (const level of closedLoop.levels) console.log(row(`${level.level} streams`, level.servers));
poisson.levels.forEach((level, index) => console.log(row(`Poisson ${loadFractions[index]} (${level.level.toFixed(2)}/s)`, level.servers)));
const chatTurns = {inflight: ttftByTurnKind(chat, "A"), llamaServer: ttftByTurnKind(chat, "B")};
console.log(row(`chat, ${options.chatConcurrency} conversations`, chat.levels[0]!.servers));
console.log(`\nmulti-turn chat (${options.conversations} conversations x ${options.turns} turns, ${options.systemLen}-token system prompt, ${turnLen}-token turns), TTFT p50 ms inflight / llama-server: ` +
  `first turns ${cell(chatTurns.inflight.firstTurns.p50, chatTurns.llamaServer.firstTurns.p50)}, returning turns ${cell(chatTurns.inflight.returningTurns.p50, chatTurns.llamaServer.returningTurns.p50)}`);
writeFiguresIfAsked(options.json, {options, capacityPerSecond, closedLoop, poisson, chat, chatTurns});
