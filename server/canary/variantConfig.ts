/**
 * The variants file given with `--config` (YAML or JSON): served model names, each with one or more
 * variants (a model, engine options, sampling defaults, a weight, or a shadow sample rate), canary
 * guardrails and staged rollouts. Owns the schema, its defaults and its error messages (each names
 * the field's path); turning it into served-model specs is `models/servedModelSpecs.ts`'s.
 */
import {readFileSync} from "node:fs";
import {dirname, isAbsolute, resolve} from "node:path";
import {parse as parseYaml} from "yaml";
import {z} from "zod";
import {formatParamPath} from "../errors.ts";

const positive = z.number().positive();
const fraction = z.number().min(0).max(1);

const guardrails = z.strictObject({
  /** Absolute cap on the canary's error rate (errors and timeouts over finished requests). */
  max_error_rate: fraction.optional(),
  /** Cap on the canary's error rate minus the stable variant's. */
  max_error_rate_increase: fraction.optional(),
  /** Caps on the canary's p95 over the stable variant's p95 (checked once stable has min_samples too). */
  max_ttft_p95_ratio: positive.optional(),
  max_tpot_p95_ratio: positive.optional(),
  /** Absolute caps, in milliseconds. */
  max_ttft_p95_ms: positive.optional(),
  max_tpot_p95_ms: positive.optional(),
  /** Finished requests the canary needs in the window before any check applies. */
  min_samples: z.number().int().min(1).default(100),
  /** The sliding window the checks look at, and how often they run, in seconds. */
  window_s: positive.default(60),
  interval_s: positive.default(10)
});

const rollout = z.strictObject({
  /** Percentages of traffic the canary gets, stage by stage, increasing; 100 promotes it. */
  stages: z.array(z.number().gt(0).max(100)).min(1).refine((stages) => stages.every((stage, index) => index === 0 || stage > stages[index - 1]!),
    {message: "stages must increase"}),
  /** Time each stage is held, with guardrails holding, before the next. */
  hold_s: positive
});

const sampling = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  top_p: fraction.optional(),
  top_k: z.number().int().min(0).optional(),
  min_p: fraction.optional()
});

const variant = z.strictObject({
  name: z.string().regex(/^[\w.-]{1,64}$/, {message: "variant names are 1-64 letters, digits, '_', '.' or '-'"}),
  /** A GGUF path (relative to the config file's folder) or synthetic:NAME[:SEED]. */
  model: z.string().min(1),
  /** Relative share of routed traffic; ignored for shadows. */
  weight: z.number().min(0).default(0),
  /** Marks a shadow: the fraction of this model's requests it receives a copy of. */
  shadow: z.number().gt(0).max(1).optional(),
  parallel: z.number().int().min(1).optional(),
  ctx_size: z.number().int().min(16).optional(),
  max_queue: z.number().int().min(0).optional(),
  system_prompt: z.string().optional(),
  sampling: sampling.optional(),
  /** Speculative decoding of this variant, as the flags of the same names; unset fields take the flags' values. */
  draft_model: z.string().min(1).optional(),
  /** "off" turns speculation off for this variant whatever the flags say. */
  speculative: z.enum(["draft", "ngram", "off"]).optional(),
  draft_max: z.number().int().min(1).optional(),
  draft_min: z.number().int().min(0).optional(),
  draft_p_min: fraction.optional(),
  draft_adaptive: z.boolean().optional(),
  guardrails: guardrails.optional(),
  rollout: rollout.optional()
});

const servedModel = z.strictObject({
  /**
   * "session" (the session key: the x-session-id header, else the OpenAI `user` field), "user" (that
   * field only) or a request header name such as x-user-id.
   */
  sticky_key: z.string().min(1).default("session"),
  /** Mixed into the hash; change it to reshuffle every user. Defaults to the served name. */
  salt: z.string().optional(),
  variants: z.array(variant).min(1)
}).superRefine((model, context) => {
  const names = new Set<string>();
  model.variants.forEach((entry, index) => {
    if (names.has(entry.name)) context.addIssue({code: "custom", path: ["variants", index, "name"], message: `duplicate variant name "${entry.name}"`});
    names.add(entry.name);
  });
  if (model.variants[0]!.shadow !== undefined) context.addIssue({code: "custom", path: ["variants", 0, "shadow"], message: "the first variant (the stable one) cannot be a shadow"});
  model.variants.forEach((entry, index) => {
    if (entry.shadow !== undefined && (entry.guardrails || entry.rollout || entry.weight > 0)) {
      context.addIssue({code: "custom", path: ["variants", index], message: "a shadow takes no weight, guardrails or rollout"});
    }
    if (index === 0 && (entry.guardrails || entry.rollout)) {
      context.addIssue({code: "custom", path: ["variants", 0], message: "the first variant is the baseline: guardrails and rollout belong on canaries"});
    }
  });
});

export const variantsFileSchema = z.strictObject({
  models: z.record(z.string().regex(/^[\w.:-]{1,128}$/, {message: "served names are 1-128 letters, digits, '_', '.', ':' or '-'"}), servedModel)
    .refine((models) => Object.keys(models).length > 0, {message: "declare at least one served model"})
});

export type VariantsFile = z.infer<typeof variantsFileSchema>;
export type ServedModelConfig = VariantsFile["models"][string];
export type VariantConfig = ServedModelConfig["variants"][number];
export type GuardrailConfig = z.infer<typeof guardrails>;
export type RolloutConfig = z.infer<typeof rollout>;

export class VariantsFileError extends Error {
  override readonly name = "VariantsFileError";
}

/** Validates parsed YAML or JSON; model paths that are relative resolve against `baseDir`. */
export function parseVariantsFile(data: unknown, source: string, baseDir: string): VariantsFile {
  const parsed = variantsFileSchema.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${formatParamPath(issue.path) ?? "(top level)"}: ${issue.message}`);
    throw new VariantsFileError(`invalid config ${source}:\n${lines.join("\n")}`);
  }
  for (const model of Object.values(parsed.data.models)) {
    for (const entry of model.variants) {
      if (!entry.model.startsWith("synthetic:") && !isAbsolute(entry.model)) entry.model = resolve(baseDir, entry.model);
      if (entry.draft_model !== undefined && !entry.draft_model.startsWith("synthetic:") && !isAbsolute(entry.draft_model)) entry.draft_model = resolve(baseDir, entry.draft_model);
    }
  }
  return parsed.data;
}

/** Reads and validates a config file; YAML is a superset of JSON, so one parser takes both. */
export function readVariantsFile(path: string): VariantsFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new VariantsFileError(`cannot read config ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new VariantsFileError(`config ${path} is not valid YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  return parseVariantsFile(data, path, dirname(resolve(path)));
}
