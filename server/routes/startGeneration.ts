/**
 * The transport-independent half of a completion request: a validated plan (the body, the model, the
 * prompt tokens and the response format) becomes a running generation with its id, its variant, its
 * trace (the request's log line) and its chunk format. The HTTP routes (`runCompletion.ts`) and the
 * websocket (`ws/`) both start generations here, so limits, defaults, ids and traces cannot drift
 * apart between them. Owns nothing of delivery.
 */
import {randomUUID} from "node:crypto";
import type {GenerationStream} from "../../engine/GenerationStream.ts";
import type {ServedModel} from "../../engine/ServedModel.ts";
import {DEFAULT_VARIANT} from "../../engine/types.ts";
import type {CompletionInfo, CompletionTrace} from "../metrics/CompletionTrace.ts";
import type {CompletionFormat, ResponseIdentity} from "../openai/formats.ts";
import type {GenerationFields} from "../schemas/sampling.ts";
import {toGenerationRequest} from "./generationRequest.ts";

/** A completion request once its body is valid and its prompt tokenized: everything but the transport. */
export interface CompletionPlan {
  readonly body: GenerationFields;
  readonly model: ServedModel;
  readonly promptTokens: readonly number[];
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

/** Submits the plan to its model's engine. Throws the engine's refusal (queue full, too long) as is. */
export function startGeneration(plan: CompletionPlan, start: GenerationStart): StartedGeneration {
  const id = `${plan.idPrefix}-${randomUUID().replaceAll("-", "")}`;
  // One variant until canary routing picks among several; labels, headers and logs already carry it.
  const variant = DEFAULT_VARIANT;
  const trace = start.startTrace({completionId: id, modelName: plan.model.name, variant, prompt: plan.prompt});
  const stream = plan.model.engine.submit(toGenerationRequest(plan.body, plan.promptTokens, {
    id,
    variant,
    arrivalMs: start.arrivalMs,
    contextLength: plan.model.contextLength,
    maxTokens: plan.maxTokens
  }));
  trace.attach(stream);
  const includeUsage = plan.body.stream_options?.include_usage === true;
  const format = plan.makeFormat({id, created: Math.floor(Date.now() / 1000), model: plan.model.name}, includeUsage);
  return {id, variant, stream, format, includeUsage, trace};
}
