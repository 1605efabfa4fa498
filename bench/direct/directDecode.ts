/**
 * The baseline the server is compared with: node-llama-cpp driven directly, one context with N
 * sequences, each generating a fixed number of tokens from its own prompt, no HTTP. Two ways of
 * driving it: "free" (each sequence's generator runs on its own, node-llama-cpp's default dispatch)
 * and "lockstep" (all generators advanced together, every decode carrying every sequence).
 * Run as a child process so its threads never compete with the process it is compared with:
 *   node --import tsx bench/direct/directDecode.ts MODEL N TOKENS THREADS free|lockstep
 * Prints one JSON line: {tokensPerSecond, numTokens, elapsedMs, avgSequencesPerDecode}.
 */
import {getLlama, LlamaLogLevel, type Token} from "node-llama-cpp";

const [modelPath, numSequencesText, numTokensText, threadsText, mode = "free"] = process.argv.slice(2);
if (!modelPath || !numSequencesText || !numTokensText || !threadsText) {
  process.stderr.write("usage: directDecode.ts MODEL N TOKENS THREADS free|lockstep\n");
  process.exit(2);
}
const numSequences = Number(numSequencesText);
const numTokens = Number(numTokensText);
const threads = Number(threadsText);

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
const decodeSizes: number[] = [];
const context = await model.createContext({
  contextSize: 1024,
  sequences: numSequences,
  threads,
  batching: {
    itemPrioritizationStrategy: ({items, size}) => {
      decodeSizes.push(items.length);
      let left = size;
      return items.map((item) => {
        const processAmount = Math.min(item.tokens.length, left);
        left -= processAmount;
        return {item, processAmount};
      });
    }
  }
});
const sequences = Array.from({length: numSequences}, () => context.getSequence());
const prompts = sequences.map((_, index) => model.tokenize(`User ${index} asks: tell me a long story about the sea.`));
const options = {temperature: 0.8, seed: 1} as const;

async function run(): Promise<void> {
  if (mode === "lockstep") {
    const generators = sequences.map((sequence, index) => sequence.evaluate(prompts[index]! as Token[], options));
    for (let step = 0; step < numTokens; step++) await Promise.all(generators.map((generator) => generator.next()));
    await Promise.all(generators.map((generator) => generator.return()));
    return;
  }
  await Promise.all(sequences.map(async (sequence, index) => {
    let count = 0;
    for await (const _token of sequence.evaluate(prompts[index]! as Token[], options)) if (++count >= numTokens) break;
  }));
}

const startMs = performance.now();
await run();
const elapsedMs = performance.now() - startMs;
const totalTokens = numSequences * numTokens;
process.stdout.write(JSON.stringify({
  tokensPerSecond: (totalTokens / elapsedMs) * 1000,
  numTokens: totalTokens,
  elapsedMs,
  avgSequencesPerDecode: decodeSizes.reduce((a, b) => a + b, 0) / Math.max(1, decodeSizes.length)
}) + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
