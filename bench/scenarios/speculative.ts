/**
 * Scenario: what speculative decoding buys. Servers started here, identical but for the drafter: a
 * plain one (no speculation) against one with `--draft-model` (or `--speculative ngram`), first with
 * the adaptive rule, then with `--no-draft-adaptive` (always --draft-max tokens). The same workload in
 * alternating rounds at concurrency 1 (single-stream TPOT) and 8 (aggregate throughput). Prints, per
 * level, TPOT and output tokens/s of both, the ratios, and the draft acceptance from /metrics.
 *
 *   npm run bench:spec -- --model synthetic:small --draft-model synthetic:small-draft --rounds 3
 *   npm run bench:spec -- --model synthetic:small --speculative ngram
 */
import {cpus} from "node:os";
import {Command} from "commander";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import {runLoad} from "../runLoad.ts";
import {startServerProcess} from "./serverProcess.ts";

const options = new Command("speculative")
  .option("--model <model>", "target: GGUF path or synthetic:NAME", "synthetic:small")
  .option("--draft-model <model>", "draft: GGUF path or synthetic:NAME", "synthetic:small-draft")
  .option("--speculative <mode>", "draft or ngram", "draft")
  .option("--draft-max <n>", "most draft tokens per step", "8")
  .option("--draft-p-min <p>", "draft stops below this top-token probability", "0.6")
  .option("--levels <list>", "concurrency levels", "1,8")
  .option("--output-len <n>", "tokens per request", "128")
  .option("--threads <n>", "llama.cpp threads", String(Math.min(2, cpus().length)))
  .option("--rounds <n>", "rounds per server (alternating)", "3")
  .option("--no-fixed", "skip the comparison with --no-draft-adaptive")
  .parse()
  .opts();

const target = resolveModelSource(options.model);
const levels = String(options.levels).split(",").map(Number);
const parallel = Math.max(...levels);
const common = ["--model", target.path, "--model-name", "bench", "--parallel", String(parallel), "--threads", options.threads, "--ctx-size", "1024"];
const speculation = [
  ...(options.speculative === "ngram" ? ["--speculative", "ngram"] : ["--draft-model", resolveModelSource(options.draftModel).path]),
  "--draft-max", options.draftMax, "--draft-p-min", options.draftPMin
];
const drafter = options.speculative === "ngram" ? "n-gram lookup" : `draft ${options.draftModel}`;
console.log(`target ${options.model}, ${drafter}, --draft-max ${options.draftMax}, --draft-p-min ${options.draftPMin}; ` +
  `${options.outputLen} output tokens per request, ${options.threads} threads, ${options.rounds} alternating rounds per level`);
console.log("| speculation | concurrency | TPOT median ms: spec / plain | speedup | output tok/s: spec / plain | ratio | draft acceptance |");
console.log("|---|---|---|---|---|---|---|");
await using plain = await startServerProcess(common);
const variants = [["adaptive (default)", []], ["fixed (--no-draft-adaptive)", ["--no-draft-adaptive"]]] as const;
for (const [label, extra] of options.fixed === false ? variants.slice(0, 1) : variants) {
  await using speculating = await startServerProcess([...common, ...speculation, ...extra]);
  const report = await runLoad({
    target: {url: speculating.url, model: "bench"},
    compare: {url: plain.url, model: "bench"},
    workload: {kind: "concurrency", levels},
    numRequests: 12,
    rounds: Number(options.rounds),
    dataset: {kind: "random", inputLen: 32, outputLen: Number(options.outputLen), lenSpread: 0},
    isIgnoreEos: true,
    isMetricsEnabled: true
  });
  for (const level of report.levels) {
    const [spec, base] = level.servers;
    if (!spec || !base || spec.failed + base.failed > 0) throw new Error(`a server failed requests at concurrency ${level.level}`);
    const metric = (name: string): number => Object.entries(spec.serverMetrics ?? {})
      .filter(([key]) => key.includes(name)).reduce((sum, [, value]) => sum + value, 0);
    const numDraft = metric("spec_decode_num_draft_tokens_total");
    const numAccepted = metric("spec_decode_num_accepted_tokens_total");
    const specTpot = spec.tpotMs?.median ?? NaN;
    const baseTpot = base.tpotMs?.median ?? NaN;
    const acceptance = numDraft === 0 ? "no drafts" : `${(100 * numAccepted / numDraft).toFixed(1)}% (${numAccepted} of ${numDraft})`;
    console.log(`| ${label} | ${level.level} | ${specTpot.toFixed(2)} / ${baseTpot.toFixed(2)} | ${(baseTpot / specTpot).toFixed(2)}x | ` +
      `${spec.outputTokenThroughput.toFixed(1)} / ${base.outputTokenThroughput.toFixed(1)} | ${(spec.outputTokenThroughput / base.outputTokenThroughput).toFixed(2)} | ${acceptance} |`);
  }
}
