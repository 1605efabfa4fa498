/**
 * What a grammar costs per sampled token, on the engine alone (one sequence, no HTTP): the median
 * decode step of free text, of a grammar every sampled token satisfies (a quote-free string: the
 * sampler checks the one token it picked), and of a grammar that rejects nearly every sample (digits
 * only: the sampler then applies the grammar to the whole vocabulary and samples again), in
 * alternating rounds. The differences are the cost of an accepted and of a rejected sample at this
 * model's vocabulary size. Run as a child process so its thread-pool setting applies to it alone:
 *   node --import tsx bench/engine/grammarSampling.ts MODEL THREADS [ROUNDS]
 * Prints one JSON line.
 */
import {createLlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import type {GrammarSpec, StepRecord} from "../../engine/types.ts";

const [modelPath, threadsText, roundsText = "3"] = process.argv.slice(2);
if (!modelPath || !threadsText) {
  process.stderr.write("usage: grammarSampling.ts MODEL THREADS [ROUNDS]\n");
  process.exit(2);
}
const NUM_TOKENS = 64;
const CASES: readonly {readonly label: string; readonly grammar?: GrammarSpec}[] = [
  {label: "free text"},
  {label: "grammar, samples accepted", grammar: {text: 'root ::= [^"\\x00]*', cacheKey: "accepting"}},
  {label: "grammar, samples rejected", grammar: {text: "root ::= [0-9]+", cacheKey: "digits"}}
];

const model = await createLlamaServedModel({
  name: "bench", modelPath, gpu: "auto", threads: Number(threadsText), parallel: 1, ctxSize: 512, batchSize: 512, maxQueueLength: 4, log: () => {}
});
const steps = new Map<string, number[]>(CASES.map(({label}) => [label, []]));
let current: number[] = [];
model.engine.on("step", (record: StepRecord) => current.push(record.durationMs));
for (let round = 0; round < Number(roundsText); round++) {
  for (const {label, grammar} of CASES) {
    current = [];
    await model.engine.submit({
      id: `${label}-${round}`, promptTokens: model.tokenize("Here is what comes next:"), maxTokens: NUM_TOKENS, stop: [], priority: 0,
      sampling: {temperature: 1, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0, seed: round},
      ...(grammar ? {grammar} : {isEndOfGenerationIgnored: true})
    }).collect();
    // The first step is the prefill.
    steps.get(label)!.push(...current.slice(1));
  }
}
await model[Symbol.asyncDispose]();
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const vocabularySize = model.runtime.model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? null;
console.log(JSON.stringify({vocabularySize, medianStepMs: Object.fromEntries([...steps].map(([label, values]) => [label, median(values)]))}));
