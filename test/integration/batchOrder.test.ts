/**
 * Every decode's items reach llama.cpp in increasing sequence order, whatever order the requests
 * arrived in: with one KV stream per sequence, llama.cpp cuts a batch into a separate pass over the
 * weights at every break in that order (llama-batch.cpp, `split_equal(..., sequential)`), which
 * halved the server's throughput at 8 streams before the executor sorted its decodes. The sequence
 * ids are read from node-llama-cpp's calls into its binding (`initBatch`, `addToBatch`).
 */
import {getLlama, type Llama, type LlamaModel, type Token} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {Engine} from "../../engine/Engine.ts";
import {LlamaExecutor} from "../../engine/executor/LlamaExecutor.ts";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import type {GenerationRequest} from "../../engine/types.ts";

const GREEDY = {temperature: 0, topP: 1, topK: 0, minP: 0, seed: 1, presencePenalty: 0, frequencyPenalty: 0};

describe("batch order", () => {
  let llama: Llama;
  let model: LlamaModel;

  beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never"});
    model = await llama.loadModel({modelPath: resolveModelSource("synthetic:tiny").path});
  }, 60_000);

  afterAll(async () => {
    await model?.dispose();
    await llama?.dispose();
  });

  it("issues each step's decodes in increasing sequence order after sequences were reused out of order", async () => {
    const decodeCounter = {count: 0};
    const context = await model.createContext({
      sequences: 4, contextSize: 128, batchSize: 128, threads: 1, batching: LlamaExecutor.batchingOptions(decodeCounter)
    });
    // The sequence id of every item added to each llama.cpp batch, from the binding's own calls.
    const batches: number[][] = [];
    const native = (context as unknown as {_ctx: Record<string | symbol, unknown>})._ctx;
    (context as unknown as {_ctx: unknown})._ctx = new Proxy(native, {
      get(target, property) {
        const value = target[property];
        if (typeof value !== "function") return value;
        if (property === "initBatch") batches.push([]);
        if (property === "addToBatch") return (sequenceId: number, ...rest: unknown[]) => {
          batches.at(-1)?.push(sequenceId);
          return (value as (...args: unknown[]) => unknown).call(target, sequenceId, ...rest);
        };
        return (value as (...args: unknown[]) => unknown).bind(target);
      }
    });
    const executor = new LlamaExecutor(context, decodeCounter);
    const engine = new Engine({
      executor,
      detokenize: (tokens) => model.detokenize(tokens as Token[]),
      isEndOfGeneration: (token) => model.isEogToken(token as Token),
      maxQueueLength: 16
    });
    const request = (id: string, first: number, maxTokens: number): GenerationRequest => ({
      id, promptTokens: [first, first + 1, first + 2], maxTokens, stop: [], priority: 0, isEndOfGenerationIgnored: true, sampling: GREEDY
    });
    try {
      // Four requests in sequences 0-3 that finish in the order 3, 1, 2, 0.
      await Promise.all([4, 2, 3, 1].map((maxTokens, index) => engine.submit(request(`warm${index}`, 100 + 10 * index, maxTokens)).collect()));
      const placed = new Map<string, number>();
      engine.on("step", (record) => {
        for (const entry of record.entries) if (!placed.has(entry.requestId)) placed.set(entry.requestId, entry.sequenceIndex);
      });
      batches.length = 0;
      await Promise.all(["a", "b", "c", "d"].map((id, index) => engine.submit(request(id, 500 + 10 * index, 6)).collect()));
      // Arrival order is not sequence order (the least recently used sequence, 3, went to the first).
      const order = ["a", "b", "c", "d"].map((id) => placed.get(id)!);
      expect(order).not.toEqual([...order].sort((x, y) => x - y));
      expect(batches.length).toBeGreaterThan(5);
      for (const sequenceIds of batches) expect(sequenceIds).toEqual([...sequenceIds].sort((x, y) => x - y));
      expect(batches.some((sequenceIds) => sequenceIds.length === 4)).toBe(true);
    } finally {
      await engine[Symbol.asyncDispose]();
      await executor[Symbol.asyncDispose]();
      await context.dispose();
    }
  }, 60_000);
});
