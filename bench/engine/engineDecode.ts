/**
 * Our engine without HTTP, measured the way llama-batched-bench measures llama.cpp: B sequences each
 * read a PP-token prompt, then generate TG tokens; prompt throughput is B*PP over the time until
 * every sequence has its first token, decode throughput is B*(TG-1) over the rest. Run as a child
 * process so thread-pool settings (UV_THREADPOOL_SIZE) apply to it alone:
 *   node --import tsx bench/engine/engineDecode.ts MODEL B PP TG THREADS [greedy|sampled] [persistent-sampler|controlled-evaluate]
 * `greedy` (default) is the closest to llama-batched-bench, which samples nothing; `sampled` draws
 * at temperature 0.8 over the whole vocabulary (no top-k), the most expensive sampler. The last
 * argument picks how decodes sample (engine/executor/SequenceDecoder.ts; default persistent).
 * Prints one JSON line.
 */
import {createLlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import type {GenerationRequest} from "../../engine/types.ts";

const [modelPath, batchText, promptText, generateText, threadsText, samplingText = "greedy", samplingPath = "persistent-sampler"] = process.argv.slice(2);
if (!modelPath || !batchText || !promptText || !generateText || !threadsText) {
  process.stderr.write("usage: engineDecode.ts MODEL B PP TG THREADS [greedy|sampled] [persistent-sampler|controlled-evaluate]\n");
  process.exit(2);
}
if (samplingText !== "greedy" && samplingText !== "sampled") {
  process.stderr.write(`sampling must be greedy or sampled, got ${samplingText}\n`);
  process.exit(2);
}
if (samplingPath !== "persistent-sampler" && samplingPath !== "controlled-evaluate") {
  process.stderr.write(`sampling path must be persistent-sampler or controlled-evaluate, got ${samplingPath}\n`);
  process.exit(2);
}
const temperature = samplingText === "greedy" ? 0 : 0.8;
const numSequences = Number(batchText);
const numPromptTokens = Number(promptText);
const numGenerated = Number(generateText);

const model = await createLlamaServedModel({
  name: "bench",
  modelPath,
  gpu: "auto",
  threads: Number(threadsText),
  parallel: numSequences,
  ctxSize: numPromptTokens + numGenerated + 16,
  batchSize: 512,
  maxQueueLength: numSequences,
  log: () => {},
  samplingPath
});
let numDecodeCalls = 0;
let numSteps = 0;
model.engine.on("step", (record) => {
  numDecodeCalls += record.numDecodeCalls;
  numSteps++;
});

function request(index: number, promptOffset: number): GenerationRequest {
  // Distinct prompts per sequence so no prefix is shared.
  const promptTokens = Array.from({length: numPromptTokens}, (_, i) => 1000 + ((index * 7919 + i * 31 + promptOffset) % 40000));
  return {
    id: `bench-${promptOffset}-${index}`,
    promptTokens,
    sampling: {temperature, topP: 1, topK: 0, minP: 0, seed: index, presencePenalty: 0, frequencyPenalty: 0},
    maxTokens: numGenerated,
    stop: [],
    priority: 0,
    isEndOfGenerationIgnored: true
  };
}

async function measure(promptOffset: number) {
  const startMs = performance.now();
  let firstTokensMs = 0;
  let numFirst = 0;
  await Promise.all(Array.from({length: numSequences}, async (_, index) => {
    let isFirst = true;
    for await (const event of model.engine.submit(request(index, promptOffset))) {
      if (event.type === "delta" && isFirst) {
        isFirst = false;
        if (++numFirst === numSequences) firstTokensMs = performance.now();
      }
    }
  }));
  const endMs = performance.now();
  return {
    promptTokensPerSecond: (numSequences * numPromptTokens) / ((firstTokensMs - startMs) / 1000),
    decodeTokensPerSecond: (numSequences * (numGenerated - 1)) / ((endMs - firstTokensMs) / 1000)
  };
}

await measure(0); // warm-up: first decodes allocate buffers
numDecodeCalls = 0;
numSteps = 0;
const result = await measure(1);
process.stdout.write(JSON.stringify({...result, decodeCallsPerStep: numDecodeCalls / numSteps, backend: model.runtime.backend}) + "\n");
await model[Symbol.asyncDispose]();
