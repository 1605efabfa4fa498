/**
 * One batch request through the online pipeline, so its answer is the one the endpoint would give:
 * plan the body (`planCompletion.ts`), start it (`startCompletion.ts`) and read the whole response
 * (`completionResponse` in `chunks.ts`). The body is run unstreamed and at the lowest priority,
 * whatever it says about either. Used by the server's runner and the offline CLI alike.
 */
import type {FastifyBaseLogger} from "fastify";
import {completionResponse} from "../completion/chunks.ts";
import {planChatCompletion, planTextCompletion} from "../completion/planCompletion.ts";
import {startCompletion, traceInfoOf} from "../completion/startCompletion.ts";
import type {CompletionPlan, StartedCompletion} from "../completion/types.ts";
import {CompletionTrace} from "../metrics/CompletionTrace.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {answeredLine} from "./outputLine.ts";
import {newRequestId} from "./store/ids.ts";
import type {BatchEndpoint} from "./types.ts";

/** Below every online request: online priorities are integers, 0 by default. */
export const BATCH_PRIORITY = Number.MAX_SAFE_INTEGER;

/** How a started batch request ended. */
export type BatchAnswer =
  | {readonly kind: "answered"; readonly statusCode: number; readonly resultLine: string}
  /** Stopped before its answer: aborted (cancel, shutdown) or cut by `--request-timeout`. */
  | {readonly kind: "interrupted"};

/** Plans a stored body as its endpoint would; throws the ApiError (or EngineError) the endpoint would answer. */
export function planBatchRequest(registry: ModelRegistry, endpoint: BatchEndpoint, bodyText: string): CompletionPlan {
  const body = {...(JSON.parse(bodyText) as Record<string, unknown>), stream: false, stream_options: null, priority: BATCH_PRIORITY};
  return endpoint === "/v1/chat/completions" ? planChatCompletion(registry, body) : planTextCompletion(registry, body);
}

export interface StartedBatchRequest {
  readonly started: StartedCompletion;
  readonly requestId: string;
}

/** Submits a planned request; throws the refusal as an ApiError (queue full, prompt too long, shutting down). */
export function startBatchRequest(plan: CompletionPlan, log: FastifyBaseLogger): StartedBatchRequest {
  const requestId = newRequestId();
  const trace = new CompletionTrace(log.child({reqId: requestId}), traceInfoOf(plan), false);
  try {
    return {started: startCompletion(plan, {arrivalMs: performance.now(), trace}), requestId};
  } catch (error) {
    trace.end((error as {statusCode?: number}).statusCode ?? 500);
    throw error;
  }
}

/** Waits for the answer of a started request: its output line, or that it was interrupted. */
export async function answerOf(customId: string, {started, requestId}: StartedBatchRequest): Promise<BatchAnswer> {
  const {body, outcome} = await completionResponse(started, {isCancelledByClient: () => true});
  const summaries = await Promise.all(started.streams.map((stream) => stream.whenDone()));
  if (summaries.some((summary) => summary.finishReason === "abort" || summary.finishReason === "timeout")) {
    started.trace.end(499);
    return {kind: "interrupted"};
  }
  if (outcome.kind === "failed") {
    started.trace.end(outcome.error.statusCode);
    return {kind: "answered", statusCode: outcome.error.statusCode, resultLine: answeredLine(customId, requestId, outcome.error.statusCode, outcome.error.toBody())};
  }
  started.trace.end(200);
  return {kind: "answered", statusCode: 200, resultLine: answeredLine(customId, requestId, 200, body ?? {})};
}
