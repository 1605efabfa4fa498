/**
 * Scenario: what constrained decoding costs. One server started here; at each concurrency the same
 * load runs free (ignore_eos, max_tokens), with a `json_schema` whose values are long strings (most
 * tokens are string content the grammar checks and accepts), with a `json_schema` of many short
 * fields (enums, bounded integers, booleans: a token at every field boundary must fit the grammar,
 * so rejected samples, which re-apply the grammar to the whole vocabulary, are frequent), and with
 * `json_object`, in alternating rounds. Prints output tokens/s and TPOT per format, their ratio to
 * free text, and the extra milliseconds per output token. First, on the engine alone, what one
 * accepted and one rejected sample cost (bench/engine/grammarSampling.ts).
 *
 *   npm run bench:structured -- --model synthetic:small --concurrency 1,8 --rounds 2
 */
import {spawnSync} from "node:child_process";
import {runLoad} from "../runLoad.ts";
import type {ServerFigures} from "../types.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {parseScenarioOptions, ROOT, servedModelArgs, servedTarget} from "./scenarioPreamble.ts";
import {startServerProcess} from "./serverProcess.ts";

const {options, modelPath} = parseScenarioOptions("structuredOutputs", {
  concurrency: {default: "1,8", help: "comma-separated levels (requests in flight)"}, outputLen: "128", threads: true, rounds: "2", json: true
}, [["--parallel <n>", "sequences of the server", "8"]]);

const STRINGS = {type: "json_schema", json_schema: {name: "notes", strict: true, schema: {
  type: "object", properties: {notes: {type: "array", items: {type: "string"}}}, required: ["notes"], additionalProperties: false
}}};
const FIELDS = {type: "json_schema", json_schema: {name: "rows", strict: true, schema: {
  type: "object",
  properties: {rows: {type: "array", minItems: 64, items: {
    type: "object",
    properties: {kind: {enum: ["alpha", "beta", "gamma"]}, n: {type: "integer", minimum: 0, maximum: 99}, ok: {type: "boolean"}},
    required: ["kind", "n", "ok"], additionalProperties: false
  }}},
  required: ["rows"], additionalProperties: false
}}};
const FORMATS: readonly {readonly label: string; readonly responseFormat?: Readonly<Record<string, unknown>>}[] = [
  {label: "free text"}, {label: "json_schema, strings", responseFormat: STRINGS},
  {label: "json_schema, short fields", responseFormat: FIELDS}, {label: "json_object", responseFormat: {type: "json_object"}}
];

const engineRun = spawnSync(process.execPath, ["--import", "tsx", "bench/engine/grammarSampling.ts", modelPath, String(options.threads), String(options.rounds)],
  {cwd: ROOT, encoding: "utf8", env: {...process.env, UV_THREADPOOL_SIZE: "1"}});
if (engineRun.status !== 0) throw new Error(`grammarSampling failed: ${engineRun.stderr}`);
const sampling = JSON.parse(engineRun.stdout.trim().split("\n").at(-1)!) as {vocabularySize: number | null; medianStepMs: Record<string, number>};
console.log(`engine alone, one sequence, ${sampling.vocabularySize ?? "?"}-token vocabulary, temperature 1, median decode step:`);
printTableHeader(["", "step ms", "extra ms per token"]);
const freeStepMs = sampling.medianStepMs["free text"]!;
for (const [label, ms] of Object.entries(sampling.medianStepMs)) console.log(`| ${label} | ${ms.toFixed(2)} | ${(ms - freeStepMs).toFixed(2)} |`);
console.log("");

const levels = String(options.concurrency).split(",").map(Number);
const rounds = Number(options.rounds);
await using server = await startServerProcess(servedModelArgs({modelPath, parallel: options.parallel, threads: options.threads, ctxSize: 1024}));

/** Output tokens and their time, summed over rounds, per level and format. */
const sums = new Map<string, {tokens: number; seconds: number; tpot: number[]}>();
for (const concurrency of levels) {
  for (let round = 0; round < rounds; round++) {
    for (const format of FORMATS) {
      const report = await runLoad({
        target: servedTarget(server), workload: {kind: "concurrency", levels: [concurrency]}, numRequests: concurrency * 2, rounds: 1,
        warmupRequests: round === 0 ? 1 : 0, seed: round, temperature: 1,
        dataset: {kind: "random", inputLen: 32, outputLen: Number(options.outputLen), lenSpread: 0},
        isIgnoreEos: true, ...(format.responseFormat ? {responseFormat: format.responseFormat} : {}), isMetricsEnabled: false
      });
      const result: ServerFigures = report.levels[0]!.servers[0]!;
      if (result.failed > 0) throw new Error(`${format.label}: ${result.failed} requests failed`);
      const key = `${concurrency}|${format.label}`;
      const sum = sums.get(key) ?? {tokens: 0, seconds: 0, tpot: []};
      sum.tokens += result.totalOutputTokens;
      sum.seconds += result.durationMs / 1000;
      if (result.tpotMs) sum.tpot.push(result.tpotMs.median);
      sums.set(key, sum);
    }
  }
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
console.log(`model ${modelPath}; ${options.outputLen} max tokens per request, temperature 1, ${rounds} alternating rounds per format`);
printTableHeader(["concurrency", "format", "output tok/s", "vs free", "TPOT median ms", "vs free", "extra ms per token"]);
const figures: unknown[] = [];
for (const concurrency of levels) {
  const free = sums.get(`${concurrency}|free text`)!;
  const freeRate = free.tokens / free.seconds;
  const freeTpot = median(free.tpot);
  for (const format of FORMATS) {
    const sum = sums.get(`${concurrency}|${format.label}`)!;
    const rate = sum.tokens / sum.seconds;
    const tpot = median(sum.tpot);
    console.log(`| ${concurrency} | ${format.label} | ${rate.toFixed(1)} | ${(rate / freeRate).toFixed(2)} | ${tpot.toFixed(2)} | ` +
      `${(tpot / freeTpot).toFixed(2)} | ${(tpot - freeTpot).toFixed(2)} |`);
    figures.push({concurrency, format: format.label, outputTokensPerSecond: rate, tpotMedianMs: tpot, outputTokens: sum.tokens});
  }
}
writeFiguresIfAsked(options.json as string | undefined, figures);
