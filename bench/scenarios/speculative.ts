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
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import {runLoad} from "../runLoad.ts";
import {printTableHeader} from "./scenarioOutput.ts";
import {parseScenarioOptions, servedModelArgs, servedTarget} from "./scenarioPreamble.ts";
import {startServerProcess} from "./serverProcess.ts";

const {options, modelPath} = parseScenarioOptions("speculative", {
  model: {help: "target: GGUF path or synthetic:NAME"},
  outputLen: "128",
  threads: true,
  rounds: "3"
}, [
  ["--draft-model <model>", "draft: GGUF path or synthetic:NAME", "synthetic:small-draft"],
  ["--speculative <mode>", "draft or ngram", "draft"],
  ["--draft-max <n>", "most draft tokens per step", "8"],
  ["--draft-p-min <p>", "draft stops below this top-token probability", "0.6"],
  ["--levels <list>", "concurrency levels", "1,8"],
  ["--no-fixed", "skip the comparison with --no-draft-adaptive"]
]);

const levels = String(options.levels).split(",").map(Number);
const parallel = Math.max(...levels);
const common = servedModelArgs({modelPath, parallel, threads: options.threads, ctxSize: 1024});
const speculation = [
  ...(options.speculative === "ngram" ? ["--speculative", "ngram"] : ["--draft-model", resolveModelSource(options.draftModel).path]),
  "--draft-max", options.draftMax, "--draft-p-min", options.draftPMin
];
const drafter = options.speculative === "ngram" ? "n-gram lookup" : `draft ${options.draftModel}`;
console.log(`target ${options.model}, ${drafter}, --draft-max ${options.draftMax}, --draft-p-min ${options.draftPMin}; ` +
  `${options.outputLen} output tokens per request, ${options.threads} threads, ${options.rounds} alternating rounds per level`);
printTableHeader(["speculation", "concurrency", "TPOT median ms: spec / plain", "speedup", "output tok/s: spec / plain", "ratio", "draft acceptance"]);
await using plain = await startServerProcess(common);
const variants = [["adaptive (default)", []], ["fixed (--no-draft-adaptive)", ["--no-draft-adaptive"]]] as const;
for (const [label, extra] of options.fixed === false ? variants.slice(0, 1) : variants) {
  await using speculating = await startServerProcess([...common, ...speculation, ...extra]);
  const report = await runLoad({
    target: servedTarget(speculating),
    compare: servedTarget(plain),
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
