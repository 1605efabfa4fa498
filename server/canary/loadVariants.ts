/**
 * Turns a validated variants file into routers over loaded engines. One llama.cpp binding for the
 * process and one loaded model per distinct GGUF file: variants of the same file share its weights and
 * each gets its own context (sequences, KV cache) and engine. Each engine is warmed up before its
 * router exists, so the warm-up never reaches the guardrail windows or the metrics.
 * Owns the shared weights and their disposal, which comes after the engines' (the registry's).
 */
import {createLlamaServedModel, type LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import {type GpuChoice, loadLlama, loadLlamaModel} from "../../engine/model/loadLlama.ts";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import type {SchedulingPolicy} from "../../scheduler/types.ts";
import type {CanaryMonitorOptions} from "./CanaryMonitor.ts";
import type {Variant} from "./types.ts";
import type {VariantConfig, VariantsFile} from "./variantConfig.ts";
import {VariantRouter} from "./VariantRouter.ts";

/** Server-wide settings; a variant's own `parallel`, `ctx_size` and `max_queue` override them. */
export interface VariantLoadOptions {
  readonly gpu: GpuChoice;
  /** Always explicit in the end: undefined means the machine's math cores, never node-llama-cpp's default. */
  readonly threads: number | undefined;
  readonly parallel: number;
  readonly ctxSize: number;
  readonly batchSize: number;
  readonly maxBatchedTokens: number | undefined;
  readonly maxQueue: number;
  readonly policy: SchedulingPolicy;
  readonly isPreemptionEnabled: boolean;
  readonly requestTimeoutMs: number | undefined;
  readonly prefixCacheMb?: number;
  readonly isPrefixCachingEnabled?: boolean;
  readonly log: (message: string) => void;
  /** Runs once per engine before its router is built (main.ts: a short decode). */
  readonly warmUp?: (model: LlamaServedModel, variantName: string) => Promise<void>;
  readonly monitor?: CanaryMonitorOptions;
}

export interface LoadedVariants extends AsyncDisposable {
  readonly routers: readonly VariantRouter[];
  /** Distinct GGUF files loaded: fewer than the variants when some share weights. */
  readonly numLoadedModels: number;
}

function defaultsOf(config: VariantConfig): Variant["defaults"] {
  const sampling = config.sampling ?? {};
  return {systemPrompt: config.system_prompt, temperature: sampling.temperature, topP: sampling.top_p, topK: sampling.top_k, minP: sampling.min_p};
}

export async function loadVariants(file: VariantsFile, options: VariantLoadOptions): Promise<LoadedVariants> {
  const llama = await loadLlama(options.gpu, options.log);
  const threads = options.threads ?? llama.cpuMathCores;
  const weightsByPath = new Map<string, Awaited<ReturnType<typeof loadLlamaModel>>>();
  const engines: LlamaServedModel[] = [];
  const routers: VariantRouter[] = [];
  const disposeWeights = async (): Promise<void> => {
    for (const model of weightsByPath.values()) await model.dispose();
    weightsByPath.clear();
    await llama.dispose();
  };
  try {
    for (const [servedName, served] of Object.entries(file.models)) {
      const variants: Variant[] = [];
      for (const config of served.variants) {
        const source = resolveModelSource(config.model);
        options.log(`${servedName}/${config.name}: ${source.description}`);
        let weights = weightsByPath.get(source.path);
        if (weights === undefined) {
          weights = await loadLlamaModel(llama, source.path);
          weightsByPath.set(source.path, weights);
        }
        const model = await createLlamaServedModel({
          // Every variant answers under the served name; the variant is a label, not a model id.
          name: servedName,
          modelPath: source.path,
          weights: {llama, model: weights},
          gpu: options.gpu,
          threads,
          parallel: config.parallel ?? options.parallel,
          ctxSize: config.ctx_size ?? options.ctxSize,
          batchSize: options.batchSize,
          maxNumBatchedTokens: options.maxBatchedTokens,
          maxQueueLength: config.max_queue ?? options.maxQueue,
          policy: options.policy,
          isPreemptionEnabled: options.isPreemptionEnabled,
          requestTimeoutMs: options.requestTimeoutMs,
          prefixCacheMb: options.prefixCacheMb,
          isPrefixCachingEnabled: options.isPrefixCachingEnabled,
          log: options.log
        });
        engines.push(model);
        await options.warmUp?.(model, config.name);
        variants.push({
          name: config.name,
          model,
          source: config.model,
          defaults: defaultsOf(config),
          shadowRate: config.shadow ?? null,
          guardrails: config.guardrails ?? null,
          rollout: config.rollout ?? null,
          initialWeight: config.weight
        });
      }
      routers.push(new VariantRouter({name: servedName, variants, stickyKey: served.sticky_key, salt: served.salt, ...options.monitor}));
    }
  } catch (error) {
    for (const router of routers) router.close();
    for (const engine of engines) await engine[Symbol.asyncDispose]();
    await disposeWeights();
    throw error;
  }
  return {routers, numLoadedModels: weightsByPath.size, [Symbol.asyncDispose]: disposeWeights};
}
