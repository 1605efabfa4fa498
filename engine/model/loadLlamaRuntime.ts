/**
 * Loads node-llama-cpp, one model and one context with a fixed number of sequences. The thread count
 * is always explicit: node-llama-cpp's default on a small CPU oversubscribes its cores (at least 4
 * threads), which makes llama.cpp's spinning threads far slower.
 * Owns the native resources and their disposal order (context, model, llama); does not run requests.
 * Several runtimes may share one loaded model (canary variants of the same GGUF): pass `weights`,
 * and the runtime creates only its own context and leaves the model to whoever loaded it.
 */
import type {Llama, LlamaContext, LlamaModel} from "node-llama-cpp";
import {EngineError} from "../errors.ts";
import {LlamaExecutor} from "../executor/LlamaExecutor.ts";
import type {SpeculationOptions} from "../speculationOptions.ts";
import type {SamplingPath} from "../executor/SequenceDecoder.ts";
import {createDrafter, type LoadedDrafter} from "./createDrafter.ts";
import {type GpuChoice, loadLlama, loadLlamaModel} from "./loadLlama.ts";

export interface LlamaRuntimeOptions {
  readonly modelPath: string;
  readonly gpu: GpuChoice;
  /** Undefined means the machine's math cores. */
  readonly threads?: number;
  readonly parallel: number;
  /** Tokens per sequence. */
  readonly ctxSize: number;
  readonly batchSize: number;
  /** Bytes of the host-memory prefix tier (saved sequence states); 0 turns it off. Default 0. */
  readonly hostPrefixCacheBytes?: number;
  readonly log: (message: string) => void;
  /** An already loaded llama and model to create the context on; the caller disposes them. */
  readonly weights?: LlamaWeights;
  /** Speculative decoding: loads the draft model (mode "draft") into its own context. */
  readonly speculation?: SpeculationOptions;
  /** How decodes sample (benchmarks and tests compare the two); default: a persistent sampler per sequence. */
  readonly samplingPath?: SamplingPath;
}

/** A loaded model and the llama.cpp binding it was loaded with, shareable between contexts. */
export interface LlamaWeights {
  readonly llama: Llama;
  readonly model: LlamaModel;
}

export interface LlamaRuntime extends AsyncDisposable {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly executor: LlamaExecutor;
  /** What actually runs: backend, build, threads. For the start-up log and /v1/models. */
  readonly backend: {
    readonly gpu: string; readonly buildType: string; readonly threads: number; readonly gpuLayers: number; readonly samplingPath: SamplingPath;
    /** The CPU features of the llama.cpp CPU backend variant that was loaded (e.g. AVX2, AVX512, AMX_INT8). */
    readonly cpuFeatures: readonly string[];
  };
}

export async function loadLlamaRuntime(options: LlamaRuntimeOptions): Promise<LlamaRuntime> {
  const weights = options.weights ?? await loadOwnWeights(options);
  const {llama, model} = weights;
  // Only weights this runtime loaded itself are its to free.
  const disposeOwnWeights = async (): Promise<void> => {
    if (options.weights) return;
    await model.dispose();
    await llama.dispose();
  };
  const threads = options.threads ?? llama.cpuMathCores;
  const decodeCounter = {count: 0};
  let context: LlamaContext;
  let drafter: LoadedDrafter | null = null;
  try {
    context = await createContext(model, options, threads, decodeCounter);
  } catch (error) {
    await disposeOwnWeights();
    throw error;
  }
  try {
    if (options.speculation) drafter = await createDrafter(options.speculation, {llama, target: model, parallel: options.parallel, ctxSize: options.ctxSize, batchSize: options.batchSize, threads, log: options.log});
  } catch (error) {
    await context.dispose();
    await disposeOwnWeights();
    throw error;
  }
  const executor = new LlamaExecutor(context, decodeCounter, {
    hostPrefixCacheBytes: options.hostPrefixCacheBytes ?? 0,
    vocabularySize: model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length,
    drafter: drafter?.drafter,
    minDraftTokens: options.speculation?.minDraftTokens,
    samplingPath: options.samplingPath
  });
  return {
    llama,
    model,
    context,
    executor,
    backend: {gpu: llama.gpu === false ? "cpu" : llama.gpu, buildType: llama.buildType, threads, gpuLayers: model.gpuLayers, samplingPath: executor.decoder.path,
      cpuFeatures: cpuFeaturesOf(llama.systemInfo)},
    async [Symbol.asyncDispose]() {
      // The executor disposes the drafter's sequences; its context and model go after.
      await executor[Symbol.asyncDispose]();
      await drafter?.[Symbol.asyncDispose]();
      await context.dispose();
      await disposeOwnWeights();
    }
  };
}

async function loadOwnWeights(options: LlamaRuntimeOptions): Promise<LlamaWeights> {
  const llama = await loadLlama(options.gpu, options.log);
  try {
    return {llama, model: await loadLlamaModel(llama, options.modelPath)};
  } catch (error) {
    await llama.dispose();
    throw error;
  }
}

async function createContext(model: LlamaModel, options: LlamaRuntimeOptions, threads: number, decodeCounter: {count: number}): Promise<LlamaContext> {
  try {
    return await model.createContext({
      sequences: options.parallel,
      contextSize: options.ctxSize,
      batchSize: options.batchSize,
      threads,
      batching: LlamaExecutor.batchingOptions(decodeCounter)
    });
  } catch (error) {
    throw new EngineError("model_load_failed", `cannot create a context (${options.parallel} x ${options.ctxSize} tokens): ${(error as Error).message}`);
  }
}

/**
 * The enabled features from llama.cpp's system info ("CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 1 | ..."):
 * they tell which of the prebuilt CPU backend variants (haswell, skylakex, sapphirerapids...) was loaded.
 */
export function cpuFeaturesOf(systemInfo: string): string[] {
  const features: string[] = [];
  let isCpuSection = false;
  for (const part of systemInfo.split("|")) {
    // A part either opens a backend's section ("CPU : SSE3 = 1") or continues it ("AVX2 = 1").
    const section = /^\s*([A-Za-z0-9_ ]+?)\s*:(.*)$/.exec(part);
    if (section) isCpuSection = section[1] === "CPU";
    const feature = /^\s*([A-Z0-9_]+)\s*=\s*1\s*$/.exec(section ? section[2]! : part);
    if (isCpuSection && feature) features.push(feature[1]!);
  }
  return features;
}
