/**
 * Scenario: where the server's time goes. One engine, two ways of loading it, alternating: requests
 * submitted to the engine directly (no HTTP), and the same requests through the HTTP server from the
 * load generator in its own process. For each, the engine's own step records give the median
 * duration of full steps (every sequence decoding) and the median gap between steps, so the cost of
 * serving over HTTP shows up as slower decodes or as time between them.
 *
 *   npm run bench:steps -- --model synthetic:small --concurrency 8 --rounds 2
 */
import {execFile} from "node:child_process";
import {promisify} from "node:util";
import {createLlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import type {StepRecord} from "../../engine/types.ts";
import {buildApp} from "../../server/app.ts";
import {ServerMetrics} from "../../server/metrics/ServerMetrics.ts";
import {ModelRegistry} from "../../server/ModelRegistry.ts";
import {median} from "../stats.ts";
import {printTableHeader} from "./scenarioOutput.ts";
import {ROOT, SERVED_MODEL_NAME, parseScenarioOptions} from "./scenarioPreamble.ts";

const {options, modelPath} = parseScenarioOptions("stepTimes", {
  concurrency: {default: "8", help: "requests in flight (and sequences)"},
  inputLen: "32",
  outputLen: {default: "128", help: "output tokens"},
  threads: true,
  rounds: {default: "2", help: "runs of each kind, alternating"}
}, [
  ["--requests <n>", "requests per run", "16"]
]);

const concurrency = Number(options.concurrency);
const numRequests = Number(options.requests);
const model = await createLlamaServedModel({
  name: SERVED_MODEL_NAME, modelPath: modelPath, gpu: "auto", threads: Number(options.threads),
  parallel: concurrency, ctxSize: 1024, batchSize: 512, maxQueueLength: 1024, log: () => {}
});
const registry = new ModelRegistry();
registry.add(model);
registry.markReady();
const app = buildApp({registry, metrics: new ServerMetrics()});
await app.listen({host: "127.0.0.1", port: 0});
const address = app.server.address();
const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

let records: {readonly record: StepRecord; readonly endMs: number}[] = [];
model.engine.on("step", (record) => records.push({record, endMs: performance.now()}));

interface RunFigures {
  readonly tokensPerSecond: number;
  readonly fullStepMs: number;
  readonly gapMs: number;
}

function figuresOf(taken: typeof records): RunFigures {
  const full = taken.filter(({record}) => record.entries.length === concurrency && record.entries.every((entry) => entry.numTokens === 1));
  const gaps = taken.slice(1).map(({record, endMs}, index) => endMs - record.durationMs - taken[index]!.endMs);
  const numTokens = taken.reduce((sum, {record}) => sum + record.entries.reduce((n, entry) => n + entry.numOutputTokens, 0), 0);
  const wallMs = taken.at(-1)!.endMs - (taken[0]!.endMs - taken[0]!.record.durationMs);
  return {tokensPerSecond: numTokens / (wallMs / 1000), fullStepMs: median(full.map(({record}) => record.durationMs)), gapMs: median(gaps)};
}

let runIndex = 0;
async function engineRun(): Promise<RunFigures> {
  records = [];
  const run = runIndex++;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < numRequests) {
      const index = next++;
      await model.engine.submit({
        id: `steps-${run}-${index}`,
        promptTokens: Array.from({length: Number(options.inputLen)}, (_, i) => 1000 + ((run * 131 + index * 7919 + i * 31) % 40000)),
        sampling: {temperature: 0, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0},
        maxTokens: Number(options.outputLen), stop: [], priority: 0, isEndOfGenerationIgnored: true
      }).collect();
    }
  };
  await Promise.all(Array.from({length: concurrency}, worker));
  return figuresOf(records);
}

async function serverRun(): Promise<RunFigures> {
  records = [];
  await promisify(execFile)(process.execPath, [
    "--import", "tsx", "bench/cli.ts", "--url", url, "--model", SERVED_MODEL_NAME, "--concurrency", String(concurrency),
    "--num-requests", String(numRequests), "--input-len", options.inputLen, "--output-len", options.outputLen,
    "--seed", String(runIndex++), "--quiet"
  ], {cwd: ROOT});
  return figuresOf(records);
}

await engineRun(); // warm-up
const results: {kind: string; figures: RunFigures}[] = [];
for (let round = 0; round < Number(options.rounds); round++) {
  results.push({kind: "engine, no HTTP", figures: await engineRun()});
  results.push({kind: "server, load generator in its own process", figures: await serverRun()});
}
console.log(`model ${options.model}, ${options.threads} threads, ${concurrency} in flight, ${numRequests} requests of ${options.inputLen} + ${options.outputLen} tokens per run, greedy`);
printTableHeader(["run", "tok/s", "full-step median ms", "gap between steps median ms"]);
for (const {kind, figures} of results) {
  console.log(`| ${kind} | ${figures.tokensPerSecond.toFixed(1)} | ${figures.fullStepMs.toFixed(2)} | ${figures.gapMs.toFixed(2)} |`);
}
await app.close();
await registry[Symbol.asyncDispose]();
