/**
 * Scenario: where speculative decoding's cost goes, on the runtime alone (no server, no scheduler).
 * For each target/draft pair, with B sequences decoding together: the time of one decode that
 * verifies k draft tokens per sequence (k + 1 tokens each, a sampled token at every position) against
 * a plain one-token decode; the draft's cost per token (one lock-step draft round for all B sequences);
 * and the draft's teacher-forced greedy agreement with its target. From these, the model that predicts
 * what a draft length buys:
 *
 *   tokens per step  E(k) = (1 - a^(k+1)) / (1 - a)          (a: agreement, k: draft length)
 *   cost per step    C(k) = V(k) + k * D                      (V: verify decode, D: draft round)
 *   speedup          S(k) = E(k) * V(0) / C(k)
 *
 * printed per pair and batch size with the best k. Run on an idle machine.
 *
 *   npm run bench:spec-cost -- --pairs small:small-draft,large:large-draft --batch 1,8 --drafts 1,2,3,4,8
 */
import {getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token} from "node-llama-cpp";
import {createSequenceDecoder, type SampleOptions, type SamplingPath} from "../../engine/executor/SequenceDecoder.ts";
import {DraftModelDrafter} from "../../engine/executor/speculative/DraftModelDrafter.ts";
import {measureSynthetic} from "../../engine/synthetic/measureSynthetic.ts";
import {median} from "../stats.ts";
import {type ModelPair, parseModelPairs} from "./modelPairs.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {parseScenarioOptions} from "./scenarioPreamble.ts";

const {options} = parseScenarioOptions("specCost", {
  model: false,
  threads: true,
  rounds: {default: "12", help: "decodes timed per figure (median reported)"},
  json: true
}, [
  ["--pairs <list>", "target:draft synthetic preset names (or GGUF paths joined by '+')", "small:small-draft,medium:medium-draft,large:large-draft"],
  ["--batch <list>", "sequences decoding together", "1,8"],
  ["--drafts <list>", "draft lengths k to verify", "1,2,3,4,8"],
  ["--prompt-len <n>", "tokens already in each sequence", "64"]
]);

const threads = Number(options.threads);
const numRounds = Number(options.rounds);
const batchSizes = String(options.batch).split(",").map(Number);
const draftLengths = String(options.drafts).split(",").map(Number);
const promptLength = Number(options.promptLen);

const prompt = (index: number): Token[] => Array.from({length: promptLength}, (_, i) => ((index * 7919 + i * 104729) % 50000) as Token);
const GREEDY: SampleOptions = {temperature: 0};

/**
 * Median wall time of one target step that feeds `numTokens` tokens to each of `batch` sequences and
 * samples after every one of them, through the executor's own decoder (one native sampler per sequence).
 */
async function timeVerify(model: LlamaModel, batch: number, tokenCounts: readonly number[]): Promise<Map<number, number>> {
  const maxTokens = Math.max(...tokenCounts);
  const context = await model.createContext({sequences: batch, contextSize: batch * (promptLength + maxTokens + 16), threads, batchSize: batch * Math.max(maxTokens, promptLength)});
  const sequences = Array.from({length: batch}, () => context.getSequence());
  const decoder = createSequenceDecoder(context, sequences);
  try {
    await Promise.all(sequences.map((_, index) => decoder.decode(index, prompt(index), {sampleAt: new Map()})));
    const result = new Map<number, number>();
    for (const numTokens of tokenCounts) {
      const sampleAt = new Map(Array.from({length: numTokens}, (_, i) => [i, GREEDY] as const));
      const times: number[] = [];
      for (let round = 0; round < numRounds + 1; round++) {
        const tokens = Array.from({length: numTokens}, (_, i) => ((round * 131 + i * 977) % 50000) as Token);
        const startedAt = performance.now();
        await Promise.all(sequences.map((_, index) => decoder.decode(index, tokens, {sampleAt})));
        if (round > 0) times.push(performance.now() - startedAt);
        await Promise.all(sequences.map((sequence) => sequence.eraseContextTokenRanges([{start: promptLength, end: sequence.nextTokenIndex}])));
      }
      result.set(numTokens, median(times));
    }
    return result;
  } finally {
    decoder.dispose();
    await context.dispose();
  }
}

/**
 * Median wall time of one lock-step draft round for `batch` sequences, through the server's own
 * drafter: on its decoder's persistent samplers, or through controlledEvaluate (a sampler per call),
 * and with `minProbability` above 0 reading each draft token's probability.
 */
async function timeDraftRound(model: LlamaModel, batch: number, samplingPath: SamplingPath = "persistent-sampler", minProbability = 0): Promise<number> {
  const roundsPerCall = 8;
  const context = await model.createContext({sequences: batch, contextSize: batch * (promptLength + roundsPerCall + 16), threads, batchSize: batch * promptLength});
  try {
    await using drafter = new DraftModelDrafter(context, {minProbability, samplingPath});
    const tasks = Array.from({length: batch}, (_, index) => ({sequenceIndex: index, contextTokens: prompt(index), lastToken: 13, maxNumTokens: roundsPerCall}));
    const times: number[] = [];
    for (let round = 0; round < numRounds + 1; round++) {
      const startedAt = performance.now();
      await drafter.draft(tasks);
      if (round > 0) times.push((performance.now() - startedAt) / roundsPerCall);
    }
    return median(times);
  } finally {
    await context.dispose();
  }
}

interface PairFigures {
  readonly pair: string;
  readonly agreement: number;
  readonly byBatch: ReadonlyArray<{
    readonly batch: number;
    readonly decodeMs: number;
    readonly verifyMs: Readonly<Record<number, number>>;
    readonly draftRoundMs: number;
    readonly draftRoundWithPMinMs: number;
    readonly draftRoundControlledMs: number;
    readonly predictedSpeedup: Readonly<Record<number, number>>;
  }>;
}

function predictedSpeedup(agreement: number, k: number, verifyMs: number, decodeMs: number, draftRoundMs: number): number {
  const tokensPerStep = agreement >= 1 ? k + 1 : (1 - agreement ** (k + 1)) / (1 - agreement);
  return tokensPerStep * decodeMs / (verifyMs + k * draftRoundMs);
}

async function measurePair(llama: Llama, {label, targetPath, draftPath}: ModelPair): Promise<PairFigures> {
  const measurement = await measureSynthetic({llama, targetPath, draftPath, threads});
  const agreement = measurement.greedyAgreement ?? 0;
  const target = await llama.loadModel({modelPath: targetPath});
  const draft = await llama.loadModel({modelPath: draftPath});
  try {
    return {pair: label, agreement, byBatch: await measureBatches(target, draft, agreement)};
  } finally {
    await draft.dispose();
    await target.dispose();
  }
}

async function measureBatches(targetModel: LlamaModel, draftModel: LlamaModel, agreement: number): Promise<PairFigures["byBatch"]> {
  const byBatch = [];
  for (const batch of batchSizes) {
    const target = await timeVerify(targetModel, batch, [1, ...draftLengths.map((k) => k + 1)]);
    const draftRoundMs = await timeDraftRound(draftModel, batch);
    // A p-min no draft token falls below still makes the drafter read every token's probability.
    const draftRoundWithPMinMs = await timeDraftRound(draftModel, batch, "persistent-sampler", Number.MIN_VALUE);
    const draftRoundControlledMs = await timeDraftRound(draftModel, batch, "controlled-evaluate");
    const decodeMs = target.get(1)!;
    const verifyMs = Object.fromEntries(draftLengths.map((k) => [k, target.get(k + 1)!]));
    byBatch.push({
      batch, decodeMs, verifyMs, draftRoundMs, draftRoundWithPMinMs, draftRoundControlledMs,
      predictedSpeedup: Object.fromEntries(draftLengths.map((k) => [k, predictedSpeedup(agreement, k, verifyMs[k]!, decodeMs, draftRoundMs)]))
    });
  }
  return byBatch;
}

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const figures: PairFigures[] = [];
try {
  for (const pair of parseModelPairs(String(options.pairs))) figures.push(await measurePair(llama, pair));
} finally {
  await llama.dispose();
}

console.log(`${threads} threads, ${promptLength} tokens in context, median of ${numRounds} decodes; verify k = one decode of k + 1 tokens per sequence`);
printTableHeader(["pair", "agreement", "B", "1-token decode ms", ...draftLengths.map((k) => `verify k=${k}: ms (x decode)`), "draft round ms (x decode)"]);
for (const {pair, agreement, byBatch} of figures) {
  for (const row of byBatch) {
    const times = draftLengths.map((k) => `${row.verifyMs[k]!.toFixed(1)} (${(row.verifyMs[k]! / row.decodeMs).toFixed(2)})`);
    console.log(`| ${pair} | ${(agreement * 100).toFixed(1)}% | ${row.batch} | ${row.decodeMs.toFixed(1)} | ${times.join(" | ")} | ` +
      `${row.draftRoundMs.toFixed(1)} (${(row.draftRoundMs / row.decodeMs).toFixed(2)}) |`);
  }
}
console.log("");
console.log("Predicted speedup S(k) = E(k) * V(0) / (V(k) + k * D), tokens per unit time against plain decoding");
printTableHeader(["pair", "B", ...draftLengths.map((k) => `k=${k}`), "best k"]);
for (const {pair, byBatch} of figures) {
  for (const row of byBatch) {
    const best = draftLengths.reduce((a, b) => (row.predictedSpeedup[b]! > row.predictedSpeedup[a]! ? b : a));
    const bestLabel = row.predictedSpeedup[best]! > 1 ? String(best) : "0 (off)";
    console.log(`| ${pair} | ${row.batch} | ${draftLengths.map((k) => `${row.predictedSpeedup[k]!.toFixed(2)}x`).join(" | ")} | ${bestLabel} |`);
  }
}
console.log("");
console.log("One draft round, ms: the drafter on long-lived samplers; the same reading each token's probability (--draft-p-min above 0); through controlledEvaluate (a sampler per call)");
printTableHeader(["pair", "B", "persistent samplers", "with --draft-p-min", "controlledEvaluate"]);
for (const {pair, byBatch} of figures) {
  for (const row of byBatch) {
    console.log(`| ${pair} | ${row.batch} | ${row.draftRoundMs.toFixed(2)} | ${row.draftRoundWithPMinMs.toFixed(2)} | ${row.draftRoundControlledMs.toFixed(2)} |`);
  }
}
writeFiguresIfAsked(options.json, figures);
