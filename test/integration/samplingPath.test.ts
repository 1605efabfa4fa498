/**
 * The persistent-sampler path (one native sampler per sequence, reconfigured per position) must
 * sample exactly what node-llama-cpp's controlledEvaluate samples with a fresh sampler per call:
 * greedy, seeded temperature with top-k, top-p and min-p, penalties over a growing history, in a
 * batch. Also pins that the default path really is the persistent one on the installed
 * node-llama-cpp, so an upgrade that removes the internals it uses fails here, not in a benchmark.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createLlamaServedModel, type LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import type {SamplingPath} from "../../engine/executor/SequenceDecoder.ts";
import type {SamplingParams} from "../../engine/types.ts";

const BASE: SamplingParams = {temperature: 0, topP: 1, topK: 0, minP: 0, seed: 1, presencePenalty: 0, frequencyPenalty: 0};
const SAMPLINGS: readonly SamplingParams[] = [
  BASE,
  {...BASE, temperature: 1.3, seed: 11},
  {...BASE, temperature: 0.9, topK: 40, topP: 0.9, seed: 12},
  {...BASE, temperature: 1.1, minP: 0.02, seed: 13},
  {...BASE, temperature: 1, presencePenalty: 1.5, frequencyPenalty: 0.8, seed: 14},
  {...BASE, presencePenalty: 2, frequencyPenalty: 2}
];

describe("sampling paths", () => {
  const models = new Map<SamplingPath, LlamaServedModel>();

  beforeAll(async () => {
    for (const samplingPath of ["persistent-sampler", "controlled-evaluate"] as const) {
      models.set(samplingPath, await createLlamaServedModel({
        name: samplingPath, modelPath: resolveModelSource("synthetic:tiny").path, gpu: "off", threads: 1,
        parallel: 4, ctxSize: 128, batchSize: 128, maxQueueLength: 64, log: () => {}, samplingPath
      }));
    }
  }, 60_000);

  afterAll(async () => {
    for (const model of models.values()) await model[Symbol.asyncDispose]();
  });

  async function generate(path: SamplingPath): Promise<number[][]> {
    const model = models.get(path)!;
    const promptTokens = model.tokenize("Once upon a time there was a");
    return Promise.all(SAMPLINGS.map(async (sampling, index) => (await model.engine.submit({
      id: `${path}-${index}`, promptTokens, maxTokens: 24, stop: [], priority: 0, isEndOfGenerationIgnored: true, sampling
    }).collect()).tokenIds as number[]));
  }

  it("uses the persistent sampler by default on the installed node-llama-cpp", () => {
    expect(models.get("persistent-sampler")!.runtime.backend.samplingPath).toBe("persistent-sampler");
    expect(models.get("controlled-evaluate")!.runtime.backend.samplingPath).toBe("controlled-evaluate");
  });

  it("samples the same tokens as a fresh sampler per call, in a batch and across requests on one sequence", async () => {
    const persistent = [...await generate("persistent-sampler"), ...await generate("persistent-sampler")];
    const controlled = [...await generate("controlled-evaluate"), ...await generate("controlled-evaluate")];
    expect(persistent.every((tokens) => tokens.length === 24)).toBe(true);
    expect(persistent).toEqual(controlled);
    // The settings differ enough that the outputs do too: the comparison is not between copies of one stream.
    expect(new Set(persistent.slice(0, SAMPLINGS.length).map((tokens) => tokens.join(","))).size).toBeGreaterThan(3);
  }, 120_000);
});
