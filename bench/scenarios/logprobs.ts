/**
 * Scenario: what log-probabilities and several choices cost. Through one server started here, the
 * same chat load with logprobs off and with `logprobs: true, top_logprobs: 5`, alternating rounds at
 * each concurrency: output tokens/s and TPOT, and their ratio. Then, on the engine alone
 * (bench/engine/forkedChoices.ts), one request with `n` choices against `n` separate requests of the
 * same prompt: prompt tokens computed, time until every choice has its first token, output tokens/s.
 *
 *   npm run bench:logprobs -- --model synthetic:small --concurrency 1,8 --rounds 2
 */
import {spawnSync} from "node:child_process";
import {runLoad} from "../runLoad.ts";
import type {ServerFigures} from "../types.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {parseScenarioOptions, ROOT, servedModelArgs, servedTarget} from "./scenarioPreamble.ts";
import {startServerProcess} from "./serverProcess.ts";

const {options, modelPath} = parseScenarioOptions("logprobs", {
  concurrency: {default: "1,8", help: "comma-separated levels (requests in flight)"}, outputLen: "128", threads: true, rounds: "2", json: true
}, [["--parallel <n>", "sequences of the server", "8"], ["--choices <n>", "n of the several-choices comparison", "4"],
  ["--choice-prompt-len <n>", "prompt tokens of the several-choices comparison", "512"]]);

const CASES: readonly {readonly label: string; readonly extraBody?: Readonly<Record<string, unknown>>}[] = [
  {label: "logprobs off"}, {label: "top_logprobs 5", extraBody: {logprobs: true, top_logprobs: 5}}
];
const levels = String(options.concurrency).split(",").map(Number);
const rounds = Number(options.rounds);
const figures: {concurrency: number; label: string; outputTokensPerSecond: number; tpotMedianMs: number}[] = [];
{
  await using server = await startServerProcess(servedModelArgs({modelPath, parallel: options.parallel, threads: options.threads, ctxSize: 1024}));
  const sums = new Map<string, {tokens: number; seconds: number; tpot: number[]}>();
  for (const concurrency of levels) {
    for (let round = 0; round < rounds; round++) {
      for (const {label, extraBody} of CASES) {
        const report = await runLoad({
          target: servedTarget(server), workload: {kind: "concurrency", levels: [concurrency]}, numRequests: concurrency * 2, rounds: 1,
          warmupRequests: round === 0 ? 1 : 0, seed: round, dataset: {kind: "random", inputLen: 32, outputLen: Number(options.outputLen), lenSpread: 0},
          isIgnoreEos: true, ...(extraBody ? {extraBody} : {}), isMetricsEnabled: false
        });
        const result: ServerFigures = report.levels[0]!.servers[0]!;
        if (result.failed > 0) throw new Error(`${label}: ${result.failed} requests failed`);
        const sum = sums.get(`${concurrency}|${label}`) ?? {tokens: 0, seconds: 0, tpot: []};
        sum.tokens += result.totalOutputTokens;
        sum.seconds += result.durationMs / 1000;
        if (result.tpotMs) sum.tpot.push(result.tpotMs.median);
        sums.set(`${concurrency}|${label}`, sum);
      }
    }
  }
  const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  console.log(`model ${modelPath}; ${options.outputLen} tokens per request (ignore_eos), temperature 0, ${rounds} alternating rounds per case`);
  printTableHeader(["concurrency", "", "output tok/s", "vs off", "TPOT median ms", "vs off"]);
  for (const concurrency of levels) {
    const off = sums.get(`${concurrency}|logprobs off`)!;
    for (const {label} of CASES) {
      const sum = sums.get(`${concurrency}|${label}`)!;
      const rate = sum.tokens / sum.seconds;
      const tpot = median(sum.tpot);
      console.log(`| ${concurrency} | ${label} | ${rate.toFixed(1)} | ${(rate / (off.tokens / off.seconds)).toFixed(2)} | ${tpot.toFixed(2)} | ${(tpot / median(off.tpot)).toFixed(2)} |`);
      figures.push({concurrency, label, outputTokensPerSecond: rate, tpotMedianMs: tpot});
    }
  }
}

const choices = spawnSync(process.execPath, ["--import", "tsx", "bench/engine/forkedChoices.ts", modelPath, String(options.threads), String(options.choices),
  String(options.choicePromptLen), "32", String(rounds + 1)], {cwd: ROOT, encoding: "utf8", env: {...process.env, UV_THREADPOOL_SIZE: "1"}});
if (choices.status !== 0) throw new Error(`forkedChoices failed: ${choices.stderr}`);
const forked = JSON.parse(choices.stdout.trim().split("\n").at(-1)!) as {numChoices: number; forked: Record<string, number>; separate: Record<string, number>};
console.log("");
console.log(`engine alone: ${forked.numChoices} choices of a ${options.choicePromptLen}-token prompt, 32 output tokens each, median of ${rounds + 1} alternating rounds`);
printTableHeader(["", "prompt tokens computed", "all first tokens ms", "output tok/s"]);
for (const [label, measured] of [[`n: ${forked.numChoices}`, forked.forked], [`${forked.numChoices} separate requests`, forked.separate]] as const) {
  console.log(`| ${label} | ${measured.promptTokensFed} | ${measured.allFirstTokensMs!.toFixed(0)} | ${measured.outputTokensPerSecond!.toFixed(1)} |`);
}
writeFiguresIfAsked(options.json as string | undefined, {http: figures, choices: forked});
