/**
 * Scenario: what speculative decoding buys through the server. For each target, two servers started
 * here, identical but for the drafter: a plain one (no speculation) against one with `--draft-model`
 * (or `--speculative ngram`), with the adaptive rule (and, with `--fixed`, with `--no-draft-adaptive`:
 * always --draft-max tokens). The same workload in alternating rounds at each concurrency level
 * (1: single-stream TPOT; 8: aggregate throughput). Prints, per target and level, TPOT and output
 * tokens/s of both, the ratios, the draft acceptance and the mean draft length from /metrics.
 *
 * Workloads: `random` (random prompts; what a draft model predicts), `echo` (each prompt carries a
 * text the reply repeats, as in code edits or quoting: what n-gram lookup predicts; it needs a target
 * that continues its own text, such as `synthetic:medium-echo`).
 *
 *   npm run bench:spec                                   # small, medium and large pairs, levels 1 and 8
 *   npm run bench:spec -- --pairs medium:medium-draft --levels 1 --fixed
 *   npm run bench:spec -- --speculative ngram --model synthetic:medium-echo
 */
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {createRng, deriveSeed} from "../random.ts";
import {randomWords} from "../datasets/words.ts";
import {runLoad} from "../runLoad.ts";
import type {DatasetConfig, LevelReport} from "../types.ts";
import {parseModelPairs} from "./modelPairs.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {SERVED_MODEL_NAME, parseScenarioOptions, servedModelArgs, servedTarget} from "./scenarioPreamble.ts";
import {type ServerProcess, startServerProcess} from "./serverProcess.ts";

const setup = parseScenarioOptions("speculative", {
  model: {default: "synthetic:medium-echo", help: "target of --speculative ngram: GGUF path or synthetic:NAME"},
  outputLen: "128",
  threads: true,
  rounds: "3",
  json: true
}, [
  ["--pairs <list>", "draft mode: target:draft synthetic names, or target.gguf+draft.gguf, comma-separated", "small:small-draft,medium:medium-draft,large:large-draft"],
  ["--speculative <mode>", "draft or ngram", "draft"],
  ["--workload <kind>", "random, or echo (the reply repeats a text in the prompt); default: echo for ngram, random for draft"],
  ["--draft-max <n>", "most draft tokens per step", "8"],
  ["--draft-p-min <p>", "draft stops below this top-token probability", "0"],
  ["--temperature <t>", "sampling temperature of every request", "0"],
  ["--levels <list>", "concurrency levels", "1,8"],
  ["--requests <n>", "requests per round and level", "12"],
  ["--fixed", "also run --no-draft-adaptive (always --draft-max drafts)"]
]);
const {options} = setup;

const isNgram = options.speculative === "ngram";
const workload = String(options.workload ?? (isNgram ? "echo" : "random"));
if (workload !== "random" && workload !== "echo") throw new Error(`--workload is random or echo, got "${workload}"`);
const levels = String(options.levels).split(",").map(Number);
const outputLen = Number(options.outputLen);
const targets = isNgram
  ? [{label: String(options.model), targetPath: setup.modelPath, drafterArgs: ["--speculative", "ngram"]}]
  : parseModelPairs(String(options.pairs)).map(({label, targetPath, draftPath}) => ({label, targetPath, drafterArgs: ["--draft-model", draftPath]}));
const variants = [["adaptive (default)", []], ["fixed (--no-draft-adaptive)", ["--no-draft-adaptive"]]] as const;

console.log(`${isNgram ? "n-gram lookup" : "draft model"}, ${workload} workload, --draft-max ${options.draftMax}, --draft-p-min ${options.draftPMin}; ` +
  `${outputLen} output tokens per request, temperature ${options.temperature}, ${options.threads} threads, ${options.rounds} alternating rounds per level`);
printTableHeader(["target", "speculation", "concurrency", "TPOT median ms: spec / plain", "speedup", "output tok/s: spec / plain", "ratio", "draft acceptance", "mean draft length"]);

/** The reply the plain server gives any chat prompt, greedily: the text echo prompts carry. */
async function replyText(server: ServerProcess, maxTokens: number): Promise<string> {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({model: SERVED_MODEL_NAME, messages: [{role: "user", content: "Write something."}], max_tokens: maxTokens, temperature: 0, ignore_eos: true})
  });
  if (!response.ok) throw new Error(`the plain server refused the echo text request: ${response.status} ${await response.text()}`);
  const body = await response.json() as {choices: {message: {content: string}}[]};
  return body.choices[0]!.message.content;
}

/**
 * Echo prompts: distinct words (so no prompt is another's cached prefix), then the text to repeat.
 * A target whose next token follows from its current one replies with that text again.
 */
function echoDataset(text: string, numRequests: number, folder: string): Partial<DatasetConfig> {
  const rng = createRng(deriveSeed(1, "echo"));
  const lines = Array.from({length: numRequests}, () => JSON.stringify({
    messages: [{role: "user", content: `${randomWords(rng, 24)}\n\nCopy this text exactly:\n\n${text}`}]
  }));
  const file = join(folder, "echo.jsonl");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return {kind: "jsonl", file, outputLen, lenSpread: 0};
}

function printRow(label: string, variant: string, level: LevelReport): Record<string, number | string> {
  const [spec, base] = level.servers;
  if (!spec || !base || spec.failed + base.failed > 0) throw new Error(`a server failed requests at concurrency ${level.level}`);
  const metric = (name: string): number => Object.entries(spec.serverMetrics ?? {})
    .filter(([key]) => key.includes(name)).reduce((sum, [, value]) => sum + value, 0);
  const numDraft = metric("spec_decode_num_draft_tokens_total");
  const numAccepted = metric("spec_decode_num_accepted_tokens_total");
  const numDrafts = metric("spec_decode_num_drafts_total");
  const specTpot = spec.tpotMs?.median ?? NaN;
  const baseTpot = base.tpotMs?.median ?? NaN;
  const acceptance = numDraft === 0 ? "no drafts" : `${(100 * numAccepted / numDraft).toFixed(1)}% (${numAccepted} of ${numDraft})`;
  const meanLength = numDrafts === 0 ? "-" : (numDraft / numDrafts).toFixed(2);
  const ratio = spec.outputTokenThroughput / base.outputTokenThroughput;
  console.log(`| ${label} | ${variant} | ${level.level} | ${specTpot.toFixed(2)} / ${baseTpot.toFixed(2)} | ${(baseTpot / specTpot).toFixed(2)}x | ` +
    `${spec.outputTokenThroughput.toFixed(1)} / ${base.outputTokenThroughput.toFixed(1)} | ${ratio.toFixed(2)} | ${acceptance} | ${meanLength} |`);
  return {target: label, variant, level: level.level, specTpotMs: specTpot, plainTpotMs: baseTpot, throughputRatio: ratio, numDraft, numAccepted, numDrafts};
}

const figures: Record<string, number | string>[] = [];
const folder = mkdtempSync(join(tmpdir(), "inflight-bench-spec-"));
try {
  for (const {label, targetPath, drafterArgs} of targets) {
    const common = servedModelArgs({modelPath: targetPath, parallel: Math.max(...levels), threads: options.threads, ctxSize: 2048});
    const speculation = [...drafterArgs, "--draft-max", options.draftMax, "--draft-p-min", options.draftPMin];
    await using plain = await startServerProcess(common);
    const dataset = workload === "echo"
      ? echoDataset(await replyText(plain, outputLen + 64), Number(options.requests), folder)
      : {kind: "random" as const, inputLen: 32, outputLen, lenSpread: 0};
    for (const [variant, extra] of options.fixed === true ? variants : variants.slice(0, 1)) {
      await using speculating = await startServerProcess([...common, ...speculation, ...extra]);
      const report = await runLoad({
        target: servedTarget(speculating),
        compare: servedTarget(plain),
        workload: {kind: "concurrency", levels},
        numRequests: Number(options.requests),
        rounds: Number(options.rounds),
        dataset,
        temperature: Number(options.temperature),
        isIgnoreEos: true,
        isMetricsEnabled: true
      });
      for (const level of report.levels) figures.push(printRow(label, variant, level));
    }
  }
} finally {
  rmSync(folder, {recursive: true, force: true});
}
writeFiguresIfAsked(options.json, figures);
