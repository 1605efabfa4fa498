/**
 * The second stage: hands a plan to its variant's engine and, once the engine accepted it, sends
 * the shadow copies (a later turn of the event loop, never awaited). A refusal is thrown as the
 * client's error, the engine's code mapped to OpenAI's field names here: a prompt that does not fit
 * is `context_length_exceeded` on `messages` or `prompt`, whichever the endpoint takes. Owns nothing
 * of delivery; the transport created the trace, so a refused request is logged too.
 */
import {sendShadowCopies} from "../canary/shadowCopies.ts";
import {toApiError} from "../errors.ts";
import type {CompletionInfo, CompletionTrace} from "../metrics/CompletionTrace.ts";
import type {GenerationStream} from "../../engine/GenerationStream.ts";
import type {GenerationRequest} from "../../engine/types.ts";
import {toGenerationRequest} from "./generationRequest.ts";
import {renderPrompt} from "./renderPrompt.ts";
import type {CompletionKind, CompletionPlan, StartedCompletion} from "./types.ts";

/** The request field that holds the prompt, for errors about it. */
const PROMPT_PARAM: Readonly<Record<CompletionKind, string>> = {chat: "messages", text: "prompt"};

/** The request field that asked for a decoding constraint: tool_choice forces calls, response_format shapes text. */
function constraintParamOf(plan: CompletionPlan): string {
  return plan.constraint?.kind === "tools" ? "tool_choice" : "response_format";
}

/** What the request's log line says about it, known once it is planned. */
export function traceInfoOf(plan: CompletionPlan): CompletionInfo {
  const {constraint} = plan;
  return {
    completionId: plan.id, modelName: plan.model.name, variant: plan.assignment.variant.name, sessionKey: plan.assignment.sessionKey,
    prompt: plan.loggedPrompt,
    ...(constraint ? {responseFormat: constraint.kind, droppedSchemaKeywords: constraint.droppedKeywords.map(({pointer}) => pointer)} : {})
  };
}

export interface StartContext {
  /** `performance.now()` when the request reached the server: the origin of its queue time and TTFT. */
  readonly arrivalMs: number;
  readonly trace: CompletionTrace;
}

/**
 * The engine's id of each choice: the completion id for the first, a suffix for the others. Choice i
 * samples with seed + i, so a seeded request is reproducible choice by choice.
 */
function choiceRequests(plan: CompletionPlan, arrivalMs: number): GenerationRequest[] {
  const variant = plan.assignment.variant;
  return Array.from({length: plan.numChoices}, (_, index) => {
    const request = toGenerationRequest(plan, {id: index === 0 ? plan.id : `${plan.id}-${index}`, variant, promptTokens: plan.promptTokens, arrivalMs});
    if (index === 0) return request;
    const seed = request.sampling.seed;
    // The first choice's prompt is computed once and copied to the others.
    return {...request, forkOf: plan.id, sampling: {...request.sampling, seed: seed === undefined ? undefined : (seed + index) >>> 0}};
  });
}

/** Submits the plan. Throws the refusal (queue full, prompt too long, shutting down) as an ApiError. */
export function startCompletion(plan: CompletionPlan, {arrivalMs, trace}: StartContext): StartedCompletion {
  const variant = plan.assignment.variant;
  const streams: GenerationStream[] = [];
  try {
    for (const request of choiceRequests(plan, arrivalMs)) streams.push(plan.model.engine.submit(request));
  } catch (error) {
    // All choices or none: the ones already queued leave with the refusal.
    for (const stream of streams) stream.abort();
    const apiError = toApiError(error, {promptParam: PROMPT_PARAM[plan.kind], constraintParam: constraintParamOf(plan)});
    // A server-side refusal counts against the variant's guardrails; client errors (400, 429) do not.
    if (apiError.statusCode >= 500) plan.router.monitor.recordFailure(variant.name);
    throw apiError;
  }
  trace.attach(streams);
  if (plan.assignment.shadows.length > 0) {
    sendShadowCopies(plan.router, plan.assignment.shadows, (shadow) => toGenerationRequest(plan, {
      id: `${plan.id}-shadow-${shadow.name}`,
      variant: shadow,
      promptTokens: renderPrompt(plan.promptSource, shadow),
      arrivalMs
    }));
  }
  return {plan, streams, createdSeconds: Math.floor(Date.now() / 1000), trace};
}
