/**
 * The draft model's drafter on the real tiny-draft model: it proposes the draft's own greedy tokens,
 * drafting for several requests in one decode per round, with one long-lived sampler per sequence;
 * `--draft-p-min` cuts a draft where the draft's top token is less likely, and that probability is
 * the one node-llama-cpp reports as the token's confidence, on both of the decoder's paths.
 */
import {getLlama, type Llama, type LlamaContext, LlamaLogLevel, type LlamaModel, type Token} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createSequenceDecoder, type SamplingPath} from "../../engine/executor/SequenceDecoder.ts";
import {DraftModelDrafter} from "../../engine/executor/speculative/DraftModelDrafter.ts";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import {greedyRun} from "../../engine/synthetic/measureSynthetic.ts";

let llama: Llama;
let model: LlamaModel;
const contexts: LlamaContext[] = [];

beforeAll(async () => {
  llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
  model = await llama.loadModel({modelPath: resolveModelSource("synthetic:tiny-draft").path});
}, 60_000);

afterAll(async () => {
  for (const context of contexts) await context.dispose();
  await model?.dispose();
  await llama?.dispose();
});

async function newContext(sequences: number): Promise<LlamaContext> {
  const context = await model.createContext({sequences, contextSize: 256 * sequences, threads: 1});
  contexts.push(context);
  return context;
}

/** The draft model's greedy continuation and each token's confidence, one token per evaluation. */
async function greedyReference(prompt: readonly Token[], numTokens: number): Promise<{tokens: readonly Token[]; confidences: readonly number[]}> {
  const {tokens, top1} = await greedyRun((await newContext(1)).getSequence(), prompt, numTokens);
  return {tokens, confidences: top1};
}

const PROMPTS = ["Once upon a time, in a land far away,", "def fibonacci(n):\n    if n < 2:"];

describe("DraftModelDrafter", () => {
  it("proposes the draft model's greedy tokens for several requests at once, and keeps them in step", async () => {
    const prompts = PROMPTS.map((text) => model.tokenize(text));
    const references = await Promise.all(prompts.map((prompt) => greedyReference(prompt, 8)));
    await using drafter = new DraftModelDrafter(await newContext(2));
    const tasks = prompts.map((prompt, index) => ({sequenceIndex: index, contextTokens: prompt.slice(0, -1), lastToken: prompt.at(-1)!, maxNumTokens: 5}));
    const first = await drafter.draft(tasks);
    expect(prompts.map((_, index) => first.get(index))).toEqual(references.map(({tokens}) => tokens.slice(0, 5)));
    // The next step: two drafts accepted and the target's own token after them. The drafter trims its
    // sequence to what it shares with the target and catches up on the rest.
    const next = prompts.map((prompt, index) => ({
      sequenceIndex: index, contextTokens: [...prompt, ...references[index]!.tokens.slice(0, 2)], lastToken: references[index]!.tokens[2]!, maxNumTokens: 4
    }));
    const second = await drafter.draft(next);
    expect(prompts.map((_, index) => second.get(index))).toEqual(references.map(({tokens}) => tokens.slice(3, 7)));
  }, 60_000);

  it("stops a draft at the first token less likely than --draft-p-min", async () => {
    const prompt = model.tokenize(PROMPTS[0]!);
    const {tokens, confidences} = await greedyReference(prompt, 8);
    const minProbability = [...confidences].sort((a, b) => a - b)[3]!;
    const expectedLength = confidences.findIndex((confidence) => confidence < minProbability);
    expect(expectedLength).toBeGreaterThanOrEqual(0);
    await using drafter = new DraftModelDrafter(await newContext(1), {minProbability});
    const proposals = await drafter.draft([{sequenceIndex: 0, contextTokens: prompt.slice(0, -1), lastToken: prompt.at(-1)!, maxNumTokens: 8}]);
    expect(proposals.get(0) ?? []).toEqual(tokens.slice(0, expectedLength));
    await using certain = new DraftModelDrafter(await newContext(1), {minProbability: 1});
    expect((await certain.draft([{sequenceIndex: 0, contextTokens: prompt.slice(0, -1), lastToken: prompt.at(-1)!, maxNumTokens: 8}])).size).toBe(0);
  }, 60_000);

  it("reads the greedy token's probability as node-llama-cpp's confidence, on both decoder paths", async () => {
    const prompt = model.tokenize(PROMPTS[1]!);
    const {tokens, confidences} = await greedyReference(prompt, 1);
    for (const preferred of ["persistent-sampler", "controlled-evaluate"] satisfies SamplingPath[]) {
      const context = await newContext(1);
      const decoder = createSequenceDecoder(context, [context.getSequence()], {preferred});
      try {
        expect(decoder.path).toBe(preferred);
        const decoded = await decoder.decode(0, prompt, {sampleAt: new Map([[prompt.length - 1, {temperature: 0, isTopProbabilityWanted: true}]])});
        expect(decoded.tokens).toEqual([tokens[0]]);
        expect(decoded.topProbabilities[0]).toBeCloseTo(confidences[0]!, 4);
      } finally {
        decoder.dispose();
      }
    }
  }, 60_000);
});
