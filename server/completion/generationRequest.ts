/**
 * Turns a plan into the engine's generation request for one variant: defaults as OpenAI documents
 * them (temperature 1, top_p 1, no top-k), stops normalised to a list, and the completion budget
 * defaulting to whatever the context leaves; a variant's own sampling defaults (canary config) come
 * between the request's fields and OpenAI's defaults.
 */
import type {GenerationRequest} from "../../engine/types.ts";
import type {Variant} from "../canary/types.ts";
import type {CompletionPlan} from "./types.ts";

export interface GenerationTarget {
  /** The engine's request id: the completion id, or a shadow copy's own. */
  readonly id: string;
  readonly variant: Variant;
  /** The prompt rendered for this variant's model. */
  readonly promptTokens: readonly number[];
  readonly arrivalMs: number;
}

export function toGenerationRequest(plan: CompletionPlan, target: GenerationTarget): GenerationRequest {
  const {fields} = plan;
  const defaults = target.variant.defaults;
  const stop = fields.stop == null ? [] : typeof fields.stop === "string" ? [fields.stop] : fields.stop;
  return {
    id: target.id,
    promptTokens: target.promptTokens,
    sampling: {
      temperature: fields.temperature ?? defaults.temperature ?? 1,
      topP: fields.top_p ?? defaults.topP ?? 1,
      topK: fields.top_k == null ? defaults.topK ?? 0 : Math.max(0, fields.top_k),
      minP: fields.min_p ?? defaults.minP ?? 0,
      seed: fields.seed ?? undefined,
      presencePenalty: fields.presence_penalty ?? 0,
      frequencyPenalty: fields.frequency_penalty ?? 0
    },
    maxTokens: plan.maxTokens ?? Math.max(1, target.variant.model.contextLength - target.promptTokens.length),
    stop,
    priority: fields.priority ?? 0,
    isEndOfGenerationIgnored: fields.ignore_eos ?? false,
    isSpeculationAllowed: fields.speculative ?? true,
    arrivalMs: target.arrivalMs,
    variant: target.variant.name,
    ...(plan.constraint ? {grammar: plan.constraint.grammar} : {}),
    ...(plan.logprobs ? {logprobs: plan.logprobs} : {}),
    ...(plan.logprobs && plan.isEcho ? {promptLogprobs: plan.logprobs} : {})
  };
}
