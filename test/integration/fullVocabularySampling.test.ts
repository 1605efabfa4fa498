/**
 * Sampling with no top-k draws from the whole vocabulary (node-llama-cpp would turn top-k 0 into a
 * sort of the whole vocabulary per token; the executor leaves the top-k sampler out instead, and
 * this checks the distribution still has its full support), while top-k 40 keeps to 40 tokens.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createLlamaServedModel, type LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";

describe("sampling over the whole vocabulary", () => {
  let model: LlamaServedModel;

  beforeAll(async () => {
    model = await createLlamaServedModel({
      name: "tiny", modelPath: resolveModelSource("synthetic:tiny").path, gpu: "off", threads: 1,
      parallel: 4, ctxSize: 64, batchSize: 64, maxQueueLength: 4096, log: () => {}
    });
  }, 60_000);

  afterAll(async () => {
    await model?.[Symbol.asyncDispose]();
  });

  async function distinctFirstTokens(topK: number, numSeeds: number): Promise<Set<number>> {
    const promptTokens = model.tokenize("The weather today is");
    const firsts = await Promise.all(Array.from({length: numSeeds}, async (_, seed) => {
      const {tokenIds} = await model.engine.submit({
        id: `vocab-${topK}-${seed}`, promptTokens, maxTokens: 1, stop: [], priority: 0, isEndOfGenerationIgnored: true,
        sampling: {temperature: 2, topP: 1, topK, minP: 0, seed, presencePenalty: 0, frequencyPenalty: 0}
      }).collect();
      return tokenIds[0]!;
    }));
    return new Set(firsts);
  }

  it("draws beyond the 40 most likely tokens without top-k, and never beyond them with top-k 40", async () => {
    const unrestricted = await distinctFirstTokens(0, 2000);
    const topK40 = await distinctFirstTokens(40, 300);
    expect(topK40.size).toBeLessThanOrEqual(40);
    expect(unrestricted.size).toBeGreaterThan(40);
  }, 120_000);
});
