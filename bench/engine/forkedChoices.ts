/**
 * What `n` saves on the engine alone: the same prompt with N choices as one request (the prompt
 * computed once and copied) and as N separate requests submitted together (each computes it), in
 * alternating rounds. Reports, from the step records, the prompt tokens fed and the time until every
 * choice has its first token, and the output tokens per second of the whole exchange. Run as a child
 * process so its thread-pool setting applies to it alone:
 *   node --import tsx bench/engine/forkedChoices.ts MODEL THREADS CHOICES PROMPT_TOKENS OUTPUT_TOKENS [ROUNDS]
 * Prints one JSON line.
 */
import {createLlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import type {GenerationRequest, StepRecord} from "../../engine/types.ts";

const [modelPath, threadsText, choicesText, promptText, outputText, roundsText = "3"] = process.argv.slice(2);
if (!modelPath || !threadsText || !choicesText || !promptText || !outputText) {
  process.stderr.write("usage: forkedChoices.ts MODEL THREADS CHOICES PROMPT_TOKENS OUTPUT_TOKENS [ROUNDS]\n");
  process.exit(2);
}
const numChoices = Number(choicesText);
const numOutput = Number(outputText);
const model = await createLlamaServedModel({
  name: "bench", modelPath, gpu: "auto", threads: Number(threadsText), parallel: numChoices,
  ctxSize: Number(promptText) + numOutput + 16, batchSize: 512, maxQueueLength: numChoices, log: () => {}
});
const steps: StepRecord[] = [];
model.engine.on("step", (record) => steps.push(record));

interface Measured {
  promptTokensFed: number;
  allFirstTokensMs: number;
  outputTokensPerSecond: number;
}

/** One round: `forked` uses forkOf (as the server does for n); otherwise N independent requests. */
async function round(index: number, isForked: boolean): Promise<Measured> {
  // A fresh prompt every round, so no round reuses another's cached prefix.
  const promptTokens = Array.from({length: Number(promptText)}, (_, position) => 1000 + ((position * 7919 + index * 104729) % 40000));
  const id = (choice: number) => `${isForked ? "n" : "sep"}-${index}-${choice}`;
  const requests: GenerationRequest[] = Array.from({length: numChoices}, (_, choice) => ({
    id: id(choice), promptTokens, maxTokens: numOutput, stop: [], priority: 0, isEndOfGenerationIgnored: true,
    sampling: {temperature: 1, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0, seed: choice},
    ...(isForked && choice > 0 ? {forkOf: id(0)} : {})
  }));
  const firstStep = steps.length;
  const startMs = performance.now();
  const summaries = await Promise.all(requests.map((request) => model.engine.submit(request).collect()));
  const totalMs = performance.now() - startMs;
  const entries = steps.slice(firstStep).flatMap((step) => step.entries);
  const lastFirstTokenMs = Math.max(...summaries.map(({summary}) => summary.timings.timeToFirstTokenMs ?? totalMs));
  // Every fed token is a prompt token or a generated one; each choice feeds all its tokens but the last.
  const numFed = entries.reduce((sum, entry) => sum + entry.numTokens, 0);
  const numPromptFed = numFed - numChoices * (numOutput - 1);
  return {promptTokensFed: numPromptFed, allFirstTokensMs: lastFirstTokenMs, outputTokensPerSecond: (numChoices * numOutput) / (totalMs / 1000)};
}

const results: Record<"forked" | "separate", Measured[]> = {forked: [], separate: []};
for (let index = 0; index < Number(roundsText); index++) {
  results.forked.push(await round(2 * index, true));
  results.separate.push(await round(2 * index + 1, false));
}
await model[Symbol.asyncDispose]();
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const summarize = (measured: readonly Measured[]) => ({
  promptTokensFed: median(measured.map((entry) => entry.promptTokensFed)),
  allFirstTokensMs: median(measured.map((entry) => entry.allFirstTokensMs)),
  outputTokensPerSecond: median(measured.map((entry) => entry.outputTokensPerSecond))
});
console.log(JSON.stringify({numChoices, forked: summarize(results.forked), separate: summarize(results.separate)}));
