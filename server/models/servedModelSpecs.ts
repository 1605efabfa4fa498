/**
 * What to serve, as one list of served models whatever the command line said: `--model` is a
 * one-variant served model (the variant "default", all traffic), `--config` a variants file. Each
 * variant gets the server's engine settings with its own fields laid over them (`parallel`,
 * `ctx_size`, `max_queue`, and speculation: `draft_model`, `speculative`, `draft_max`...), so every
 * engine option works the same in both. Model sources are resolved here, so a missing or corrupt
 * file fails before the server listens. Owns that translation; loading is `loadServedModels.ts`'s.
 */
import {resolveModelSource, type ModelSource} from "../../engine/model/resolveModelSource.ts";
import {checkSpeculationOptions, DEFAULT_SPECULATION_LIMITS, type SpeculationOptions} from "../../engine/speculationOptions.ts";
import type {VariantDefaults} from "../canary/types.ts";
import {type GuardrailConfig, readVariantsFile, type RolloutConfig, type VariantConfig, type VariantsFile} from "../canary/variantConfig.ts";
import type {ServedModelSettings, ServerConfig} from "../config.ts";
import {DEFAULT_VARIANT} from "../../engine/types.ts";

export interface VariantSpec {
  readonly name: string;
  /** The model as given (a GGUF path or synthetic:NAME[:SEED]), resolved. */
  readonly source: ModelSource;
  /** The source as given, for the admin API. */
  readonly model: string;
  readonly settings: ServedModelSettings;
  readonly defaults: VariantDefaults;
  readonly weight: number;
  /** Marks a shadow: the fraction of requests it gets a copy of; null for routed variants. */
  readonly shadowRate: number | null;
  readonly guardrails: GuardrailConfig | null;
  readonly rollout: RolloutConfig | null;
}

export interface ServedModelSpec {
  /** The name clients send as `model`. */
  readonly name: string;
  readonly stickyKey: string | undefined;
  readonly salt: string | undefined;
  readonly variants: readonly VariantSpec[];
}

/** The served models of a server config. Throws an Error (EngineError, VariantsFileError) with a one-line reason. */
export function servedModelSpecsOf(config: ServerConfig): ServedModelSpec[] {
  if (config.configFile !== undefined) return servedModelSpecsOfFile(readVariantsFile(config.configFile), config.engine);
  const source = resolveModelSource(config.model);
  checkDraftModel(config.engine.speculation, "--draft-model");
  const variant: VariantSpec = {
    name: DEFAULT_VARIANT, source, model: config.model ?? source.path, settings: config.engine, defaults: {},
    weight: 1, shadowRate: null, guardrails: null, rollout: null
  };
  return [{name: config.modelName ?? source.defaultName, stickyKey: undefined, salt: undefined, variants: [variant]}];
}

/** The served models of a variants file, over the server's engine settings. */
export function servedModelSpecsOfFile(file: VariantsFile, settings: ServedModelSettings): ServedModelSpec[] {
  return Object.entries(file.models).map(([name, served]) => ({
    name,
    stickyKey: served.sticky_key,
    salt: served.salt,
    variants: served.variants.map((variant, index) => variantSpecOf(variant, settings, `models.${name}.variants[${index}]`))
  }));
}

function variantSpecOf(variant: VariantConfig, settings: ServedModelSettings, path: string): VariantSpec {
  const sampling = variant.sampling ?? {};
  return {
    name: variant.name,
    source: resolveModelSource(variant.model),
    model: variant.model,
    settings: {
      ...settings,
      parallel: variant.parallel ?? settings.parallel,
      ctxSize: variant.ctx_size ?? settings.ctxSize,
      maxQueueLength: variant.max_queue ?? settings.maxQueueLength,
      speculation: speculationOf(variant, settings.speculation, path)
    },
    defaults: {systemPrompt: variant.system_prompt, temperature: sampling.temperature, topP: sampling.top_p, topK: sampling.top_k, minP: sampling.min_p},
    weight: variant.weight,
    shadowRate: variant.shadow ?? null,
    guardrails: variant.guardrails ?? null,
    rollout: variant.rollout ?? null
  };
}

/**
 * A variant's speculation: its own fields over the flags'. `speculative: off` turns it off; a
 * `draft_model` alone means draft mode, as `--draft-model` does.
 */
function speculationOf(variant: VariantConfig, flags: SpeculationOptions | undefined, path: string): SpeculationOptions | undefined {
  if (variant.speculative === "off") return undefined;
  const mode = variant.speculative ?? (variant.draft_model !== undefined ? "draft" : flags?.mode);
  if (mode === undefined) return undefined;
  const base = flags ?? {...DEFAULT_SPECULATION_LIMITS, isAdaptive: true, draftModel: undefined};
  const options: SpeculationOptions = {
    mode,
    draftModel: mode === "ngram" ? variant.draft_model : variant.draft_model ?? base.draftModel,
    maxDraftTokens: variant.draft_max ?? base.maxDraftTokens,
    minDraftTokens: variant.draft_min ?? base.minDraftTokens,
    minDraftProbability: variant.draft_p_min ?? base.minDraftProbability,
    isAdaptive: variant.draft_adaptive ?? base.isAdaptive
  };
  const field = (name: string): string => `${path}.${name}`;
  checkSpeculationOptions(options, {draftModel: field("draft_model"), mode: field("speculative"), minDraftTokens: field("draft_min"), maxDraftTokens: field("draft_max")});
  checkDraftModel(options, field("draft_model"));
  return options;
}

/** Fails before the server listens when the draft model is missing or not a GGUF, naming where it was set. */
function checkDraftModel(speculation: SpeculationOptions | undefined, setting: string): void {
  if (speculation?.draftModel === undefined) return;
  try {
    resolveModelSource(speculation.draftModel);
  } catch (error) {
    throw new Error(`${setting}: ${(error as Error).message}`);
  }
}
