/**
 * Starts node-llama-cpp (the native binding, for one GPU choice) and loads a GGUF's weights, turning
 * failures into one-line engine errors. Owns only that; contexts are created by whoever uses the
 * weights (the runtime for the target model, createDrafter for a draft model).
 */
import {getLlama, type Llama, LlamaLogLevel, type LlamaModel} from "node-llama-cpp";
import {EngineError} from "../errors.ts";

export type GpuChoice = "auto" | "cuda" | "metal" | "vulkan" | "off";

/** Starts node-llama-cpp with the chosen backend; never compiles (fails fast instead). */
export async function loadLlama(gpu: GpuChoice, log: (message: string) => void): Promise<Llama> {
  const llama = await getLlama({
    gpu: gpu === "off" ? false : gpu,
    // Never compile at start: fail fast instead of building for minutes (and needing the network).
    build: "never",
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) log(`llama.cpp: ${message.trim()}`);
    }
  }).catch((error: unknown) => {
    throw new EngineError("model_load_failed", `cannot start llama.cpp with --gpu ${gpu}: ${(error as Error).message}`);
  });
  if (gpu === "auto" && llama.gpu === false) log("no usable GPU backend found (--gpu auto): running on CPU");
  return llama;
}

/** Loads a GGUF's weights once; contexts are created on it separately. */
export async function loadLlamaModel(llama: Llama, modelPath: string): Promise<LlamaModel> {
  try {
    return await llama.loadModel({modelPath});
  } catch (error) {
    throw new EngineError("model_load_failed", `cannot load ${modelPath}: ${(error as Error).message}`);
  }
}
