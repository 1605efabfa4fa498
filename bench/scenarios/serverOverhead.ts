/**
 * Scenario: the server's own overhead. Aggregate generated tokens/s at each concurrency through the
 * HTTP server (SSE, our load generator) versus node-llama-cpp driven directly with one context and N
 * sequences (free-running generators, its default dispatch; and lock-step, every decode full), same
 * model, same threads, same output length, each in its own process, alternating server and direct
 * rounds so drift hits both. Prints a table with the ratios; `--json FILE` keeps every figure.
 *
 *   npm run bench:overhead -- --model synthetic:small --concurrency 1,4 --output-len 128 --rounds 3
 */
import {execFileSync} from "node:child_process";
import {runLoad} from "../runLoad.ts";
import {median} from "../stats.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {ROOT, parseScenarioOptions, servedModelArgs, servedTarget} from "./scenarioPreamble.ts";
import {startServerProcess} from "./serverProcess.ts";

const {options, modelPath} = parseScenarioOptions("serverOverhead", {
  outputLen: {default: "128", help: "tokens generated per request"},
  inputLen: {default: "16", help: "prompt tokens per request (approximately)"},
  threads: {help: "llama.cpp threads for both sides"},
  rounds: {default: "3", help: "rounds per side and level (median reported)"},
  json: true
}, [
  ["--concurrency <list>", "comma-separated levels", "1,4"]
]);

function directRun(modelPath: string, concurrency: number, mode: "free" | "lockstep"): number {
  const output = execFileSync(process.execPath, [
    "--import", "tsx", "bench/direct/directDecode.ts", modelPath, String(concurrency), options.outputLen, options.threads, mode
  ], {cwd: ROOT, encoding: "utf8"});
  return (JSON.parse(output.trim().split("\n").at(-1)!) as {tokensPerSecond: number}).tokensPerSecond;
}

const levels = String(options.concurrency).split(",").map(Number);
const rounds = Number(options.rounds);
const rows = [];
for (const concurrency of levels) {
  const samples = {server: [] as number[], free: [] as number[], lockstep: [] as number[]};
  await using serverProcess = await startServerProcess(servedModelArgs({modelPath, parallel: concurrency, threads: options.threads, ctxSize: 1024}));
  for (let round = 0; round < rounds; round++) {
    const report = await runLoad({
      target: servedTarget(serverProcess),
      workload: {kind: "concurrency", levels: [concurrency]},
      numRequests: concurrency,
      rounds: 1,
      warmupRequests: round === 0 ? 1 : 0,
      seed: round,
      dataset: {kind: "random", inputLen: Number(options.inputLen), outputLen: Number(options.outputLen), lenSpread: 0},
      isIgnoreEos: true,
      isMetricsEnabled: false
    });
    const figures = report.levels[0]!.servers[0]!;
    if (figures.failed > 0) throw new Error(`server round failed: ${JSON.stringify(figures.failuresByType)}`);
    samples.server.push(figures.outputTokenThroughput);
    samples.free.push(directRun(modelPath, concurrency, "free"));
    samples.lockstep.push(directRun(modelPath, concurrency, "lockstep"));
  }
  const server = median(samples.server);
  const free = median(samples.free);
  const lockstep = median(samples.lockstep);
  rows.push({concurrency, serverTokensPerSecond: server, directFreeTokensPerSecond: free, directLockstepTokensPerSecond: lockstep,
    serverOverFree: server / free, serverOverLockstep: server / lockstep, samples});
}

console.log(`model ${modelPath}, ${options.threads} threads, ${options.outputLen} tokens per request, median of ${rounds} rounds`);
printTableHeader(["concurrency", "server tok/s", "direct free tok/s", "direct lockstep tok/s", "server / free", "server / lockstep"]);
for (const row of rows) {
  console.log(`| ${row.concurrency} | ${row.serverTokensPerSecond.toFixed(1)} | ${row.directFreeTokensPerSecond.toFixed(1)} | ` +
    `${row.directLockstepTokensPerSecond.toFixed(1)} | ${row.serverOverFree.toFixed(2)} | ${row.serverOverLockstep.toFixed(2)} |`);
}
writeFiguresIfAsked(options.json, {options, rows});
