/**
 * The transport-independent half of a completion request. First its route: the served name's router
 * picks the variant (sticky by the configured key) and the shadows, and the prompt is rendered for the
 * chosen variant's model. Then a validated plan becomes a running generation with its id, its variant,
 * its trace (the request's log line), its chunk format, and its shadow copies (sent after the user's
 * request is queued, never awaited). The HTTP routes (`runCompletion.ts`) and the websocket (`ws/`)
 * both start generations here, so limits, defaults, ids, routing and traces cannot drift apart
 * between them. Owns nothing of delivery.
 */
import {randomUUID} from "node:crypto";
import type {IncomingHttpHeaders} from "node:http";
import type {GenerationStream} from "../../engine/GenerationStream.ts";
import type {ServedModel} from "../../engine/ServedModel.ts";
import {sendShadowCopies} from "../canary/shadowCopies.ts";
import type {Assignment, Variant} from "../canary/types.ts";
import type {VariantRouter} from "../canary/VariantRouter.ts";
import {toApiError} from "../errors.ts";
import type {CompletionInfo, CompletionTrace} from "../metrics/CompletionTrace.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import type {CompletionFormat, ResponseIdentity} from "../openai/formats.ts";
import type {GenerationFields} from "../schemas/sampling.ts";
import {toGenerationRequest} from "./generationRequest.ts";
import {EngineError} from "../../engine/errors.ts";

/** Where a request goes: its router, the variant chosen, and its prompt rendered for that variant. */
export interface CompletionRoute {
  readonly router: VariantRouter;
  readonly assignment: Assignment;
  /** The chosen variant's model. */
  readonly model: ServedModel;
  readonly promptTokens: readonly number[];
  /** Renders the same prompt for another variant (a shadow may have another tokenizer or template). */
  readonly renderPrompt: (variant: Variant) => number[];
}

/** A completion request once its body is valid, its variant chosen and its prompt tokenized. */
export interface CompletionPlan extends CompletionRoute {
  readonly body: GenerationFields;
  /** The messages or prompt as sent, for the log line with `--log-prompts`. */
  readonly prompt: unknown;
  /** max_completion_tokens or max_tokens, whichever the endpoint accepts. */
  readonly maxTokens: number | null | undefined;
  readonly idPrefix: "chatcmpl" | "cmpl";
  readonly makeFormat: (identity: ResponseIdentity, includeUsage: boolean) => CompletionFormat;
}

export interface GenerationStart {
  /** `performance.now()` when the request reached the server: the origin of its queue time and TTFT. */
  readonly arrivalMs: number;
  /** Starts the request's trace; called before submitting, so a refused request is logged too. */
  readonly startTrace: (info: CompletionInfo) => CompletionTrace;
}

export interface StartedGeneration {
  /** The completion id (`chatcmpl-...`), also the engine's request id. */
  readonly id: string;
  readonly variant: string;
  readonly stream: GenerationStream;
  readonly format: CompletionFormat;
  readonly includeUsage: boolean;
  readonly trace: CompletionTrace;
}

/**
 * Resolves the served name, lets its router choose a variant (by the body's `user` or a header, as
 * configured) and renders the prompt for it. Throws the client error (404, 503) when there is none.
 */
export function routeCompletion(registry: ModelRegistry, body: GenerationFields, headers: IncomingHttpHeaders | undefined,
  renderPrompt: (variant: Variant) => number[]): CompletionRoute {
  const router = registry.resolve(body.model);
  const assignment = router.assign({user: body.user, headers});
  return {router, assignment, model: assignment.variant.model, promptTokens: renderPrompt(assignment.variant), renderPrompt};
}

/** Submits the plan to its variant's engine. Throws the engine's refusal (queue full, too long) as is. */
export function startGeneration(plan: CompletionPlan, start: GenerationStart): StartedGeneration {
  const id = `${plan.idPrefix}-${randomUUID().replaceAll("-", "")}`;
  const chosen = plan.assignment.variant;
  const variant = chosen.name;
  const trace = start.startTrace({completionId: id, modelName: plan.model.name, variant, prompt: plan.prompt});
  let stream: GenerationStream;
  try {
    stream = plan.model.engine.submit(toGenerationRequest(plan.body, plan.promptTokens, {
      id,
      variant,
      arrivalMs: start.arrivalMs,
      contextLength: plan.model.contextLength,
      maxTokens: plan.maxTokens,
      defaults: chosen.defaults
    }));
  } catch (error) {
    // A server-side refusal counts against the variant's guardrails; client errors (400, 429) do not.
    if (toApiError(error).statusCode >= 500) plan.router.monitor.recordFailure(variant);
    // The engine cannot know which field held the prompt; text completions name `prompt`.
    if (error instanceof EngineError && error.code === "context_length_exceeded" && plan.idPrefix === "cmpl") {
      throw new EngineError(error.code, error.message, "prompt");
    }
    throw error;
  }
  trace.attach(stream);
  if (plan.assignment.shadows.length > 0) {
    sendShadowCopies(plan.router, plan.assignment.shadows, (shadow) => toGenerationRequest(plan.body, plan.renderPrompt(shadow), {
      id: `${id}-shadow-${shadow.name}`,
      variant: shadow.name,
      arrivalMs: start.arrivalMs,
      contextLength: shadow.model.contextLength,
      maxTokens: plan.maxTokens,
      defaults: shadow.defaults
    }));
  }
  const includeUsage = plan.body.stream_options?.include_usage === true;
  const format = plan.makeFormat({id, created: Math.floor(Date.now() / 1000), model: plan.model.name}, includeUsage);
  return {id, variant, stream, format, includeUsage, trace};
}
