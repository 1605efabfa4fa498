/**
 * Measures what a synthetic preset's knobs do, with the real runtime: how peaked the target's
 * next-token distributions are under greedy decoding (its probability of its own top token), and how
 * often a draft agrees with it. Agreement is teacher-forced, the way speculative decoding checks a
 * draft: the draft reads the target's greedy sequence and, at each position, its argmax either is or
 * is not the target's token there. Owns the measurement and its command line; writing models is
 * `writeSyntheticModel.ts`'s, and it takes no part in serving.
 *
 *   npm run synthetic:measure -- --target small --draft small-draft [--seed 1] [--prompts 8] [--tokens 64] [--threads N]
 */
import {resolve} from "node:path";
import {pathToFileURL} from "node:url";
import {parseArgs} from "node:util";
import {type ControlledEvaluateInputItem, getLlama, type Llama, type LlamaContextSequence, LlamaLogLevel, type Token} from "node-llama-cpp";
import {ensureSyntheticModel} from "./ensureSyntheticModel.ts";

/** Fixed prompts, so a measurement is reproducible; varied enough that greedy runs differ. */
export const MEASUREMENT_PROMPTS: readonly string[] = [
  "The quick brown fox jumps over the lazy dog.",
  "Once upon a time, in a small village by the sea, there lived",
  "def fibonacci(n):\n    if n < 2:\n        return n\n",
  "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
  "In-flight batching lets many users share one model; each request joins",
  "1, 2, 3, 5, 8, 13, 21,",
  "Dear customer, thank you for your order. Unfortunately",
  "The mitochondria is the powerhouse of the cell, and"
];

export interface MeasureSyntheticOptions {
  readonly targetPath: string;
  /** Without a draft only the target's peakedness is measured. */
  readonly draftPath?: string;
  /** How many of {@link MEASUREMENT_PROMPTS} to decode from; 8 (all) unless told. */
  readonly numPrompts?: number;
  readonly tokensPerPrompt?: number;
  /** A runtime to reuse (tests load many models); otherwise one is started and disposed. */
  readonly llama?: Llama;
  /** llama.cpp threads; the machine's math cores unless told. */
  readonly threads?: number;
}

export interface SyntheticMeasurement {
  readonly numPrompts: number;
  readonly tokensPerPrompt: number;
  /** The target's probability of its greedy token, over every generated position. */
  readonly medianTop1Probability: number;
  readonly meanTop1Probability: number;
  /** Distinct tokens over generated tokens, averaged over prompts: near 0 means greedy decoding loops. */
  readonly distinctTokenRatio: number;
  /** Fraction of positions where the draft's argmax given the target's prefix is the target's token. */
  readonly greedyAgreement: number | null;
}

export interface GreedyRun {
  readonly prompt: readonly Token[];
  readonly tokens: readonly Token[];
  readonly top1: readonly number[];
}

/** Loads the target (and the draft) on the CPU and decodes every prompt at once, one sequence each. */
export async function measureSynthetic(options: MeasureSyntheticOptions): Promise<SyntheticMeasurement> {
  const {targetPath, draftPath, tokensPerPrompt = 64} = options;
  const numPrompts = Math.min(options.numPrompts ?? MEASUREMENT_PROMPTS.length, MEASUREMENT_PROMPTS.length);
  if (!(numPrompts >= 1 && tokensPerPrompt >= 1)) throw new Error(`need at least one prompt and one token (got ${numPrompts} x ${tokensPerPrompt})`);
  const llama = options.llama ?? (await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error}));
  // Always explicit: node-llama-cpp's own default oversubscribes small machines badly.
  const threads = options.threads ?? llama.cpuMathCores;
  try {
    const runs = await withSequences({llama, threads, modelPath: targetPath, numSequences: numPrompts, tokensPerPrompt}, (sequences, tokenize) =>
      Promise.all(sequences.map((sequence, index) => greedyRun(sequence, tokenize(MEASUREMENT_PROMPTS[index]!), tokensPerPrompt)))
    );
    const top1 = runs.flatMap((run) => run.top1);
    let greedyAgreement: number | null = null;
    if (draftPath !== undefined) {
      const matches = await withSequences({llama, threads, modelPath: draftPath, numSequences: numPrompts, tokensPerPrompt}, (sequences) =>
        Promise.all(sequences.map((sequence, index) => countDraftMatches(sequence, runs[index]!)))
      );
      greedyAgreement = matches.reduce((a, b) => a + b, 0) / top1.length;
    }
    return {
      numPrompts,
      tokensPerPrompt,
      medianTop1Probability: median(top1),
      meanTop1Probability: top1.reduce((a, b) => a + b, 0) / top1.length,
      distinctTokenRatio: runs.reduce((sum, run) => sum + new Set(run.tokens).size / run.tokens.length, 0) / runs.length,
      greedyAgreement
    };
  } finally {
    if (!options.llama) await llama.dispose();
  }
}

interface ModelRun {
  readonly llama: Llama;
  readonly threads: number;
  readonly modelPath: string;
  readonly numSequences: number;
  readonly tokensPerPrompt: number;
}

/** Loads a model with one sequence per prompt, hands them to `use`, and unloads it. */
async function withSequences<T>(
  {llama, threads, modelPath, numSequences, tokensPerPrompt}: ModelRun,
  use: (sequences: LlamaContextSequence[], tokenize: (text: string) => Token[]) => Promise<T>
): Promise<T> {
  const model = await llama.loadModel({modelPath});
  try {
    const context = await model.createContext({sequences: numSequences, contextSize: 128 + tokensPerPrompt, threads});
    const sequences = Array.from({length: numSequences}, () => context.getSequence());
    return await use(sequences, (text) => model.tokenize(text, true));
  } finally {
    await model.dispose();
  }
}

const greedyNext = {generateNext: {token: true, confidence: true}} as const;

/** A model's greedy continuation of `prompt`, one token per evaluation, with its probability at each step. */
export async function greedyRun(sequence: LlamaContextSequence, prompt: readonly Token[], numTokens: number): Promise<GreedyRun> {
  const tokens: Token[] = [];
  const top1: number[] = [];
  let input: ControlledEvaluateInputItem[] = [...prompt.slice(0, -1), [prompt[prompt.length - 1]!, greedyNext]];
  while (tokens.length < numTokens) {
    const next = (await sequence.controlledEvaluate(input))[input.length - 1]?.next;
    if (next?.token == null || next.confidence === undefined) throw new Error("controlledEvaluate returned no next token");
    tokens.push(next.token);
    top1.push(next.confidence);
    input = [[next.token, greedyNext]];
  }
  return {prompt, tokens, top1};
}

/**
 * Feeds the draft the target's whole sequence in one evaluation and counts the positions where the
 * draft's argmax is the target's token:
 *
 *   input:   p0 p1 .. pL-1  g0  g1 .. gN-2
 *   argmax:        ..   ?0  ?1  ?2 .. ?N-1     match when ?i == gi
 */
async function countDraftMatches(sequence: LlamaContextSequence, run: GreedyRun): Promise<number> {
  const {prompt, tokens} = run;
  const asked: Token[] = [prompt[prompt.length - 1]!, ...tokens.slice(0, -1)];
  const input: ControlledEvaluateInputItem[] = [...prompt.slice(0, -1), ...asked.map((token): ControlledEvaluateInputItem => [token, {generateNext: {token: true}}])];
  const outputs = await sequence.controlledEvaluate(input);
  let matches = 0;
  for (let i = 0; i < tokens.length; i++) if (outputs[prompt.length - 1 + i]?.next.token === tokens[i]) matches++;
  return matches;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A preset name is generated (or reused) under the seed; anything ending in .gguf is a file. */
function modelPathOf(spec: string, seed: number): string {
  return spec.endsWith(".gguf") ? resolve(spec) : ensureSyntheticModel(spec, seed).path;
}

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {
      target: {type: "string", default: "small"},
      draft: {type: "string"},
      seed: {type: "string", default: "1"},
      prompts: {type: "string", default: String(MEASUREMENT_PROMPTS.length)},
      tokens: {type: "string", default: "64"},
      threads: {type: "string"}
    }
  });
  const seed = Number(values.seed);
  const measurement = await measureSynthetic({
    targetPath: modelPathOf(values.target, seed),
    ...(values.draft !== undefined ? {draftPath: modelPathOf(values.draft, seed)} : {}),
    numPrompts: Number(values.prompts),
    tokensPerPrompt: Number(values.tokens),
    ...(values.threads !== undefined ? {threads: Number(values.threads)} : {})
  });
  const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;
  const lines = [
    `target ${values.target}${values.draft !== undefined ? `, draft ${values.draft}` : ""}, seed ${seed}: ${measurement.numPrompts} prompts x ${measurement.tokensPerPrompt} greedy tokens`,
    `top-1 probability: median ${measurement.medianTop1Probability.toFixed(3)}, mean ${measurement.meanTop1Probability.toFixed(3)}`,
    `distinct tokens per run: ${percent(measurement.distinctTokenRatio)}`,
    ...(measurement.greedyAgreement !== null ? [`greedy agreement (teacher-forced): ${percent(measurement.greedyAgreement)}`] : [])
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
