/**
 * Turns validated OpenAI request fields into the engine's generation request: defaults as OpenAI
 * documents them (temperature 1, top_p 1, no top-k), stops normalised to a list, and the completion
 * budget defaulting to whatever the context leaves; a variant's own sampling defaults (canary config)
 * come between the request's fields and OpenAI's defaults. Shared by the chat and text completion routes.
 */
import type {GenerationRequest} from "../../engine/types.ts";
import type {VariantDefaults} from "../canary/types.ts";
import type {GenerationFields} from "../schemas/sampling.ts";

export interface GenerationContext {
  readonly id: string;
  readonly variant: string;
  readonly arrivalMs: number;
  readonly contextLength: number;
  /** max_completion_tokens or max_tokens, whichever the route accepts. */
  readonly maxTokens: number | null | undefined;
  /** The serving variant's defaults for fields the request leaves unset. */
  readonly defaults?: VariantDefaults;
}

export function toGenerationRequest(body: GenerationFields, promptTokens: readonly number[], context: GenerationContext): GenerationRequest {
  const defaults = context.defaults ?? {};
  const stop = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  return {
    id: context.id,
    promptTokens,
    sampling: {
      temperature: body.temperature ?? defaults.temperature ?? 1,
      topP: body.top_p ?? defaults.topP ?? 1,
      topK: body.top_k == null ? defaults.topK ?? 0 : Math.max(0, body.top_k),
      minP: body.min_p ?? defaults.minP ?? 0,
      seed: body.seed ?? undefined,
      presencePenalty: body.presence_penalty ?? 0,
      frequencyPenalty: body.frequency_penalty ?? 0
    },
    maxTokens: context.maxTokens ?? Math.max(1, context.contextLength - promptTokens.length),
    stop,
    priority: body.priority ?? 0,
    isEndOfGenerationIgnored: body.ignore_eos ?? false,
    isSpeculationAllowed: body.speculative ?? true,
    arrivalMs: context.arrivalMs,
    variant: context.variant
  };
}
