/**
 * Loads node-llama-cpp, one model and one context with a fixed number of sequences. The thread count
 * is always explicit: node-llama-cpp's default on a 2-core CPU is 4 threads, about 50x slower.
 * Owns the native resources and their disposal order (context, model, llama); does not run requests.
 */
import {getLlama, type Llama, type LlamaContext, LlamaLogLevel, type LlamaModel} from "node-llama-cpp";
import {EngineError} from "../errors.ts";
import {LlamaExecutor} from "../executor/LlamaExecutor.ts";

export type GpuChoice = "auto" | "cuda" | "metal" | "vulkan" | "off";

export interface LlamaRuntimeOptions {
  readonly modelPath: string;
  readonly gpu: GpuChoice;
  /** Undefined means the machine's math cores. */
  readonly threads?: number;
  readonly parallel: number;
  /** Tokens per sequence. */
  readonly ctxSize: number;
  readonly batchSize: number;
  readonly log: (message: string) => void;
}

export interface LlamaRuntime extends AsyncDisposable {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly executor: LlamaExecutor;
  /** What actually runs: backend, build, threads. For the start-up log and /v1/models. */
  readonly backend: {readonly gpu: string; readonly buildType: string; readonly threads: number; readonly gpuLayers: number};
}

export async function loadLlamaRuntime(options: LlamaRuntimeOptions): Promise<LlamaRuntime> {
  const llama = await getLlama({
    gpu: options.gpu === "off" ? false : options.gpu,
    // Never compile at start: fail fast instead of building for minutes (and needing the network).
    build: "never",
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) options.log(`llama.cpp: ${message.trim()}`);
    }
  }).catch((error: unknown) => {
    throw new EngineError("model_load_failed", `cannot start llama.cpp with --gpu ${options.gpu}: ${(error as Error).message}`);
  });
  if (options.gpu === "auto" && llama.gpu === false) options.log("no usable GPU backend found (--gpu auto): running on CPU");
  const threads = options.threads ?? llama.cpuMathCores;
  let model: LlamaModel;
  try {
    model = await llama.loadModel({modelPath: options.modelPath});
  } catch (error) {
    await llama.dispose();
    throw new EngineError("model_load_failed", `cannot load ${options.modelPath}: ${(error as Error).message}`);
  }
  const decodeCounter = {count: 0};
  let context: LlamaContext;
  try {
    context = await model.createContext({
      sequences: options.parallel,
      contextSize: options.ctxSize,
      batchSize: options.batchSize,
      threads,
      batching: LlamaExecutor.batchingOptions(decodeCounter)
    });
  } catch (error) {
    await model.dispose();
    await llama.dispose();
    throw new EngineError("model_load_failed", `cannot create a context (${options.parallel} x ${options.ctxSize} tokens): ${(error as Error).message}`);
  }
  const executor = new LlamaExecutor(context, decodeCounter);
  return {
    llama,
    model,
    context,
    executor,
    backend: {gpu: llama.gpu === false ? "cpu" : llama.gpu, buildType: llama.buildType, threads, gpuLayers: model.gpuLayers},
    async [Symbol.asyncDispose]() {
      await executor[Symbol.asyncDispose]();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    }
  };
}
