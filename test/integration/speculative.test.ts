/**
 * Speculative decoding on the real tiny synthetic model and its draft (tiny-draft, ~79% greedy
 * agreement): outputs are token-for-token those of plain decoding, with a draft model and with n-gram
 * lookup, one request alone and four in one batch; a seeded sampled output is unchanged too; the
 * counters add up; a request can opt out.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createLlamaServedModel, type LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import type {SpeculationOptions} from "../../engine/speculationOptions.ts";
import type {GenerationSummary, SamplingParams, StepRecord, TokenLogprob} from "../../engine/types.ts";

const GREEDY: SamplingParams = {temperature: 0, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0};
const PROMPTS = [
  "Once upon a time, in a land far away,",
  "The quick brown fox jumps over the lazy dog. The quick brown fox",
  "def fibonacci(n):\n    if n < 2:\n        return n\n",
  "Speculative decoding drafts tokens with a small model and verifies them"
];

async function load(speculation?: SpeculationOptions): Promise<LlamaServedModel> {
  return await createLlamaServedModel({
    name: "tiny", modelPath: resolveModelSource("synthetic:tiny").path, gpu: "off", threads: 1,
    parallel: 4, ctxSize: 256, batchSize: 256, maxQueueLength: 16, log: () => {}, speculation
  });
}

interface Run {
  readonly tokens: number[];
  readonly logprobs: readonly TokenLogprob[];
  readonly summary: GenerationSummary;
}

let runCount = 0;
async function generate(model: LlamaServedModel, prompts: readonly string[], sampling: SamplingParams,
  extra: {isSpeculationAllowed?: boolean; logprobs?: {numTop: number}} = {}): Promise<Run[]> {
  return await Promise.all(prompts.map(async (prompt) => {
    const stream = model.engine.submit({
      id: `spec-${runCount++}`, promptTokens: model.tokenize(prompt), sampling, maxTokens: 40, stop: [], priority: 0,
      isEndOfGenerationIgnored: true, ...extra
    });
    const {tokenIds, logprobs, summary} = await stream.collect();
    return {tokens: tokenIds, logprobs, summary};
  }));
}

describe("speculative decoding on the tiny model", () => {
  let plain: LlamaServedModel;
  let drafted: LlamaServedModel;
  let ngram: LlamaServedModel;
  const draftSteps: StepRecord[] = [];

  beforeAll(async () => {
    // Fixed draft length: the adaptive rule would switch speculation off where it does not pay (here).
    const limits = {maxDraftTokens: 6, minDraftTokens: 0, minDraftProbability: 0, isAdaptive: false};
    plain = await load();
    drafted = await load({mode: "draft", draftModel: "synthetic:tiny-draft", ...limits});
    ngram = await load({mode: "ngram", draftModel: undefined, ...limits});
    drafted.engine.on("step", (record) => draftSteps.push(record));
  }, 120_000);

  afterAll(async () => {
    for (const model of [plain, drafted, ngram]) await model?.[Symbol.asyncDispose]();
  });

  it("gives plain decoding's greedy tokens for one request, with a draft model and with n-gram lookup", async () => {
    const [reference] = await generate(plain, PROMPTS.slice(0, 1), GREEDY);
    const [withDraft] = await generate(drafted, PROMPTS.slice(0, 1), GREEDY);
    const [withNgram] = await generate(ngram, PROMPTS.slice(0, 1), GREEDY);
    expect(reference!.tokens).toHaveLength(40);
    expect(withDraft!.tokens).toEqual(reference!.tokens);
    expect(withNgram!.tokens).toEqual(reference!.tokens);
    const counts = withDraft!.summary.speculation!;
    expect(counts.numAcceptedTokens).toBeGreaterThan(0);
    expect(counts.numAcceptedTokens).toBeLessThanOrEqual(counts.numDraftTokens);
    expect(reference!.summary.speculation).toBeUndefined();
  }, 120_000);

  it("gives the same greedy tokens in a batch of four, several sequences speculating in the same steps", async () => {
    draftSteps.length = 0;
    const reference = await generate(plain, PROMPTS, GREEDY);
    const withDraft = await generate(drafted, PROMPTS, GREEDY);
    const withNgram = await generate(ngram, PROMPTS, GREEDY);
    expect(withDraft.map((run) => run.tokens)).toEqual(reference.map((run) => run.tokens));
    expect(withNgram.map((run) => run.tokens)).toEqual(reference.map((run) => run.tokens));
    // Some step gave several requests more than one token each: they speculated together.
    const isJointSpeculation = (record: StepRecord) => record.entries.filter((entry) => entry.numOutputTokens > 1).length >= 2;
    expect(draftSteps.some(isJointSpeculation)).toBe(true);
    for (const {summary} of withDraft) expect(summary.speculation!.numAcceptedTokens).toBeLessThanOrEqual(summary.speculation!.numDraftTokens);
  }, 120_000);

  it("keeps a seeded sampled output unchanged", async () => {
    const sampled: SamplingParams = {...GREEDY, temperature: 0.8, topP: 0.95, topK: 40, seed: 1234};
    const [reference] = await generate(plain, PROMPTS.slice(1, 2), sampled);
    const [withDraft] = await generate(drafted, PROMPTS.slice(1, 2), sampled);
    expect(withDraft!.tokens).toEqual(reference!.tokens);
    expect(withDraft!.summary.speculation!.numDraftTokens).toBeGreaterThan(0);
  }, 120_000);

  it("reports the same log-probabilities with drafts as without: only accepted positions are read", async () => {
    const [withDraft] = await generate(drafted, PROMPTS.slice(0, 1), GREEDY, {logprobs: {numTop: 3}});
    const [reference] = await generate(plain, PROMPTS.slice(0, 1), GREEDY, {logprobs: {numTop: 3}});
    expect(withDraft!.summary.speculation!.numAcceptedTokens).toBeGreaterThan(0);
    expect(withDraft!.tokens).toEqual(reference!.tokens);
    expect(reference!.logprobs).toHaveLength(reference!.tokens.length);
    const rounded = (run: Run) => run.logprobs.map(({token, logprob, top}) => [token, logprob.toFixed(3), top.map((choice) => choice.token)]);
    expect(rounded(withDraft!)).toEqual(rounded(reference!));
  }, 120_000);

  it("does not speculate for a request that opts out", async () => {
    const [run] = await generate(drafted, PROMPTS.slice(0, 1), GREEDY, {isSpeculationAllowed: false});
    expect(run!.summary.speculation).toBeUndefined();
    expect(run!.tokens).toHaveLength(40);
  }, 120_000);
});
