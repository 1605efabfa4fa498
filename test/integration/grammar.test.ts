/**
 * Grammar-constrained decoding on the real tiny synthetic model (random weights, so only the grammar
 * makes its output well-formed): every sampled output at a high temperature is a prefix of the
 * grammar's language and complete when it ends on its own; greedy output is the same with and without
 * speculative decoding (drafts are cut where the grammar rejects them, verification stops at the first
 * mismatch); a grammar that does not compile, or one with ignore_eos, is refused at submit.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createLlamaServedModel, type LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import type {SpeculationOptions} from "../../engine/speculationOptions.ts";
import type {GenerationRequest, GrammarSpec, SamplingParams} from "../../engine/types.ts";

/** A small JSON object language: `{"n": 1-3 digits, "tag": "a word of 1-8 letters"}`, optional single spaces. */
const GRAMMAR: GrammarSpec = {
  text: 'root ::= "{" " "? "\\"n\\":" " "? [0-9] [0-9]? [0-9]? "," " "? "\\"tag\\":" " "? "\\"" [a-z]{1,8} "\\"" "}"',
  cacheKey: "test-object"
};
const COMPLETE = /^\{ ?"n": ?[0-9]{1,3}, ?"tag": ?"[a-z]{1,8}"\}$/;

function isPrefixOfLanguage(text: string): boolean {
  // The language is one sequence of parts, so its prefixes are the nested optional groups of them.
  const pattern = /^(\{( ?("(n("(:( ?([0-9]{1,3}(,( ?("(t(a(g("(:( ?("([a-z]{1,8}("(\})?)?)?)?)?)?)?)?)?)?)?)?)?)?)?)?)?)?)?)?)?$/;
  return pattern.test(text);
}

const SAMPLED: Omit<SamplingParams, "seed"> = {temperature: 1.5, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0};
const GREEDY: SamplingParams = {temperature: 0, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0};

async function load(speculation?: SpeculationOptions): Promise<LlamaServedModel> {
  return await createLlamaServedModel({
    name: "tiny", modelPath: resolveModelSource("synthetic:tiny").path, gpu: "off", threads: 1,
    parallel: 4, ctxSize: 256, batchSize: 256, maxQueueLength: 64, log: () => {}, speculation
  });
}

let nextId = 0;
function request(model: LlamaServedModel, sampling: SamplingParams, overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  return {
    id: `grammar-${nextId++}`, promptTokens: model.tokenize("Give me a JSON object:"), sampling, maxTokens: 32, stop: [], priority: 0,
    grammar: GRAMMAR, ...overrides
  };
}

describe("grammar-constrained decoding on the tiny model", () => {
  let plain: LlamaServedModel;
  let drafted: LlamaServedModel;
  let ngram: LlamaServedModel;

  beforeAll(async () => {
    const limits = {maxDraftTokens: 6, minDraftTokens: 0, minDraftProbability: 0, isAdaptive: false};
    plain = await load();
    drafted = await load({mode: "draft", draftModel: "synthetic:tiny-draft", ...limits});
    ngram = await load({mode: "ngram", draftModel: undefined, ...limits});
  }, 120_000);

  afterAll(async () => {
    for (const model of [plain, drafted, ngram]) await model?.[Symbol.asyncDispose]();
  });

  it("keeps every sampled output inside the grammar, complete whenever it stopped by itself", async () => {
    const runs = await Promise.all(Array.from({length: 24}, (_, seed) => plain.engine.submit(request(plain, {...SAMPLED, seed})).collect()));
    let numComplete = 0;
    for (const {text, summary} of runs) {
      expect(isPrefixOfLanguage(text), text).toBe(true);
      expect(["stop", "length"]).toContain(summary.finishReason);
      if (summary.finishReason === "stop") {
        expect(text).toMatch(COMPLETE);
        numComplete++;
      }
    }
    expect(numComplete).toBeGreaterThan(0);
  }, 60_000);

  it("gives the same greedy output with drafts as without, and n-gram lookup still accepts drafts", async () => {
    // A list of one repeated string: once the model has written an item, lookup in its own output
    // proposes the next one, which the grammar allows.
    const list: GrammarSpec = {text: 'root ::= "[" "\\"fox\\"" ("," " "? "\\"fox\\""){3,16} "]"', cacheKey: "test-list"};
    const cases: Partial<GenerationRequest>[] = [{}, {grammar: list}, {promptTokens: plain.tokenize("Another one:"), grammar: list}];
    const outputs = async (model: LlamaServedModel) => await Promise.all(cases.map((overrides) =>
      model.engine.submit(request(model, GREEDY, {maxTokens: 40, ...overrides})).collect()));
    const reference = await outputs(plain);
    const accepted = new Map<LlamaServedModel, number>();
    for (const model of [drafted, ngram]) {
      const speculated = await outputs(model);
      expect(speculated.map((run) => run.tokenIds)).toEqual(reference.map((run) => run.tokenIds));
      accepted.set(model, speculated.reduce((sum, run) => sum + (run.summary.speculation?.numAcceptedTokens ?? 0), 0));
    }
    // The draft model drafts without the grammar, so on a random-weight model the grammar cuts most of
    // its drafts; lookup proposes the list's next item, which the grammar allows.
    expect(accepted.get(ngram)).toBeGreaterThan(0);
    expect(isPrefixOfLanguage(reference[0]!.text), reference[0]!.text).toBe(true);
    expect(reference[1]!.text).toMatch(/^\["fox"(, ?"fox"){3,16}\]$|^\["fox"(, ?"fox")*,? ?"?f?o?x?"?$/);
  }, 60_000);

  it("refuses a grammar that does not compile, and a grammar with ignore_eos, at submit", () => {
    expect(() => plain.engine.submit(request(plain, GREEDY, {grammar: {text: "root ::= (", cacheKey: "broken"}})))
      .toThrow(expect.objectContaining({code: "unsupported_grammar"}));
    expect(() => plain.engine.submit(request(plain, GREEDY, {isEndOfGenerationIgnored: true})))
      .toThrow(expect.objectContaining({code: "unsupported_grammar"}));
    expect(plain.engine.stats.numWaiting + plain.engine.stats.numRunning).toBe(0);
  });
});
