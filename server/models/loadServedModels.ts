/**
 * Loads the served models into routers over warmed-up engines, for `--model` and `--config` alike.
 * One llama.cpp binding for the process and one loaded model per distinct GGUF file: variants of the
 * same file share its weights and each gets its own context (sequences, KV cache) and engine. Each
 * engine is warmed up before its router exists, so the warm-up never reaches the guardrail windows or
 * the metrics. Owns the shared weights and their disposal, which comes after the engines' (the
 * registry's).
 */
import {createLlamaServedModel, type LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import {type GpuChoice, loadLlama, loadLlamaModel} from "../../engine/model/loadLlama.ts";
import type {CanaryMonitorOptions} from "../canary/CanaryMonitor.ts";
import type {Variant} from "../canary/types.ts";
import {VariantRouter} from "../canary/VariantRouter.ts";
import type {ServedModelSpec, VariantSpec} from "./servedModelSpecs.ts";

export interface LoadOptions {
  /** The process's one GPU choice (a binding serves every model). */
  readonly gpu: GpuChoice;
  readonly log: (message: string) => void;
  /** Runs once per engine before its router is built (main.ts: a short decode). */
  readonly warmUp?: (model: LlamaServedModel, label: string) => Promise<void>;
  readonly monitor?: CanaryMonitorOptions;
}

export interface LoadedModels extends AsyncDisposable {
  readonly routers: readonly VariantRouter[];
  /** Distinct GGUF files loaded: fewer than the variants when some share weights. */
  readonly numLoadedModels: number;
}

type Weights = Awaited<ReturnType<typeof loadLlamaModel>>;

export async function loadServedModels(specs: readonly ServedModelSpec[], options: LoadOptions): Promise<LoadedModels> {
  const llama = await loadLlama(options.gpu, options.log);
  const weightsByPath = new Map<string, Weights>();
  const engines: LlamaServedModel[] = [];
  const routers: VariantRouter[] = [];
  const disposeWeights = async (): Promise<void> => {
    for (const model of weightsByPath.values()) await model.dispose();
    weightsByPath.clear();
    await llama.dispose();
  };
  const weightsOf = async (path: string): Promise<Weights> => {
    let weights = weightsByPath.get(path);
    if (weights === undefined) {
      weights = await loadLlamaModel(llama, path);
      weightsByPath.set(path, weights);
    }
    return weights;
  };
  try {
    for (const served of specs) {
      const variants: Variant[] = [];
      for (const spec of served.variants) {
        options.log(`${served.name}/${spec.name}: ${spec.source.description}`);
        const model = await loadVariant(served.name, spec, {llama, model: await weightsOf(spec.source.path)}, options);
        engines.push(model);
        await options.warmUp?.(model, `${served.name}/${spec.name}`);
        variants.push(variantOf(spec, model));
      }
      routers.push(new VariantRouter({name: served.name, variants, stickyKey: served.stickyKey, salt: served.salt, ...options.monitor}));
    }
  } catch (error) {
    for (const router of routers) router.close();
    for (const engine of engines) await engine[Symbol.asyncDispose]();
    await disposeWeights();
    throw error;
  }
  return {routers, numLoadedModels: weightsByPath.size, [Symbol.asyncDispose]: disposeWeights};
}

async function loadVariant(servedName: string, spec: VariantSpec, weights: {llama: Awaited<ReturnType<typeof loadLlama>>; model: Weights},
  options: LoadOptions): Promise<LlamaServedModel> {
  const {settings} = spec;
  return await createLlamaServedModel({
    ...settings,
    // Every variant answers under the served name; the variant is a label, not a model id.
    name: servedName,
    modelPath: spec.source.path,
    weights,
    threads: settings.threads ?? weights.llama.cpuMathCores,
    log: options.log
  });
}

function variantOf(spec: VariantSpec, model: LlamaServedModel): Variant {
  return {
    name: spec.name,
    model,
    source: spec.model,
    defaults: spec.defaults,
    shadowRate: spec.shadowRate,
    guardrails: spec.guardrails,
    rollout: spec.rollout,
    initialWeight: spec.weight
  };
}
