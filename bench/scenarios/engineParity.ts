/**
 * Scenario: engine speed parity. In one run, on the same GGUF and thread count, prints prompt
 * processing and decode tokens/s at B = 1, 4, 8 sequences for llama.cpp's own `llama-batched-bench`
 * (built from the source bundled in node-llama-cpp: see bench/reference/build.sh) and for our engine
 * driven directly (no HTTP), with the ratio. Our engine runs in a child process, once with Node's
 * default libuv thread pool and once with UV_THREADPOOL_SIZE=1, so the thread-pool effect is visible.
 *
 *   npm run bench:parity -- --model synthetic:small --batch 1,4,8 --rounds 3
 */
import {execFileSync} from "node:child_process";
import {existsSync} from "node:fs";
import {join} from "node:path";
import type {SamplingPath} from "../../engine/executor/SequenceDecoder.ts";
import {median} from "../stats.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {ROOT, parseScenarioOptions} from "./scenarioPreamble.ts";

const REFERENCE_BIN = join(ROOT, "build-ref", "llama.cpp", "build", "bin", "llama-batched-bench");

const {options, modelPath} = parseScenarioOptions("engineParity", {
  threads: {help: "threads for both"},
  rounds: {default: "3", help: "rounds per configuration (median reported)"},
  json: true
}, [
  ["--batch <list>", "sequence counts", "1,4,8"],
  ["--prompt-len <n>", "prompt tokens per sequence (PP)", "128"],
  ["--gen-len <n>", "generated tokens per sequence (TG)", "64"]
]);

interface Speed {
  readonly promptTokensPerSecond: number;
  readonly decodeTokensPerSecond: number;
}

/** Parses llama-batched-bench's table: | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | T s | S t/s | */
function referenceRun(modelPath: string, batch: number): Speed {
  const context = batch * (Number(options.promptLen) + Number(options.genLen)) + 64;
  const output = execFileSync(REFERENCE_BIN, [
    "-m", modelPath, "-c", String(context), "-b", "512", "-ub", "512", "-npp", options.promptLen, "-ntg", options.genLen,
    "-npl", String(batch), "-t", options.threads
  ], {encoding: "utf8", stdio: ["ignore", "pipe", "ignore"]});
  const row = output.split("\n").find((line) => /^\|\s+\d+\s+\|/.test(line));
  if (!row) throw new Error(`no result row in llama-batched-bench output:\n${output}`);
  const cells = row.split("|").map((cell) => cell.trim()).filter((cell) => cell.length > 0).map(Number);
  return {promptTokensPerSecond: cells[5]!, decodeTokensPerSecond: cells[7]!};
}

/** `greedy` is the fair match for llama-batched-bench (which samples nothing); `sampled` shows what sampling at temperature 0.8 over the whole vocabulary adds. */
function engineRun(modelPath: string, batch: number, env: NodeJS.ProcessEnv, sampling: "greedy" | "sampled",
  samplingPath: SamplingPath = "persistent-sampler"): Speed {
  const output = execFileSync(process.execPath, [
    "--import", "tsx", "bench/engine/engineDecode.ts", modelPath, String(batch), options.promptLen, options.genLen, options.threads, sampling, samplingPath
  ], {cwd: ROOT, encoding: "utf8", env: {...process.env, ...env}});
  return JSON.parse(output.trim().split("\n").at(-1)!) as Speed;
}

if (!existsSync(REFERENCE_BIN)) {
  console.error(`missing ${REFERENCE_BIN}: build it first with bash bench/reference/build.sh`);
  process.exit(1);
}
const configurations = {
  reference: (batch: number) => referenceRun(modelPath, batch),
  engineDefaultPool: (batch: number) => engineRun(modelPath, batch, {UV_THREADPOOL_SIZE: ""}, "greedy"),
  enginePoolOf1: (batch: number) => engineRun(modelPath, batch, {UV_THREADPOOL_SIZE: "1"}, "greedy"),
  engineSampled: (batch: number) => engineRun(modelPath, batch, {UV_THREADPOOL_SIZE: "1"}, "sampled"),
  engineControlled: (batch: number) => engineRun(modelPath, batch, {UV_THREADPOOL_SIZE: "1"}, "greedy", "controlled-evaluate")
};
const rows = [];
for (const batch of String(options.batch).split(",").map(Number)) {
  const samples: Record<string, Speed[]> = {};
  for (let round = 0; round < Number(options.rounds); round++) {
    // Interleaved so that drift on a shared machine hits every configuration alike.
    for (const [name, run] of Object.entries(configurations)) (samples[name] ??= []).push(run(batch));
  }
  const summary = Object.fromEntries(Object.entries(samples).map(([name, runs]) => [name, {
    promptTokensPerSecond: median(runs.map((run) => run.promptTokensPerSecond)),
    decodeTokensPerSecond: median(runs.map((run) => run.decodeTokensPerSecond))
  }])) as Record<keyof typeof configurations, Speed>;
  rows.push({batch, summary, samples});
}

console.log(`model ${modelPath}; ${options.threads} threads; PP ${options.promptLen}, TG ${options.genLen}; median of ${options.rounds} rounds`);
console.log("Engine decode is greedy unless marked \"sampled\" (temperature 0.8 over the whole vocabulary, pool 1); the reference samples nothing.");
console.log("\"controlledEvaluate\": the engine sampling through node-llama-cpp's public call (a sampler per call) instead of a sampler kept per sequence.");
printTableHeader(["B", "ref PP t/s", "ref TG t/s", "engine TG t/s (default pool)", "engine TG t/s (pool 1)", "TG ratio (pool 1)",
  "engine TG t/s sampled", "engine TG t/s controlledEvaluate", "engine PP t/s (pool 1)", "PP ratio"]);
for (const {batch, summary: s} of rows) {
  console.log(`| ${batch} | ${s.reference.promptTokensPerSecond.toFixed(0)} | ${s.reference.decodeTokensPerSecond.toFixed(1)} | ` +
    `${s.engineDefaultPool.decodeTokensPerSecond.toFixed(1)} | ${s.enginePoolOf1.decodeTokensPerSecond.toFixed(1)} | ` +
    `${(s.enginePoolOf1.decodeTokensPerSecond / s.reference.decodeTokensPerSecond).toFixed(2)} | ${s.engineSampled.decodeTokensPerSecond.toFixed(1)} | ` +
    `${s.engineControlled.decodeTokensPerSecond.toFixed(1)} | ` +
    `${s.enginePoolOf1.promptTokensPerSecond.toFixed(0)} | ${(s.enginePoolOf1.promptTokensPerSecond / s.reference.promptTokensPerSecond).toFixed(2)} |`);
}
writeFiguresIfAsked(options.json, {options, rows});
