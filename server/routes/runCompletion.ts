/**
 * The path both completion routes share once they have prompt tokens: submit to the engine, pick the
 * response format, deliver, and start the request's trace (its log line). Keeping it in one place
 * means chat and text completions cannot drift apart in limits, headers or disconnect handling.
 */
import {randomUUID} from "node:crypto";
import type {FastifyReply, FastifyRequest} from "fastify";
import type {ServedModel} from "../../engine/ServedModel.ts";
import {DEFAULT_VARIANT} from "../../engine/types.ts";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import {type CompletionFormat, type ResponseIdentity} from "../openai/formats.ts";
import {deliver} from "../respond.ts";
import type {GenerationFields} from "../schemas/sampling.ts";
import {toGenerationRequest} from "./generationRequest.ts";

export interface CompletionRun {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly body: GenerationFields;
  readonly model: ServedModel;
  readonly promptTokens: readonly number[];
  /** The messages or prompt as sent, for the log line with `--log-prompts`. */
  readonly prompt: unknown;
  readonly tracker: CompletionTracker;
  readonly maxTokens: number | null | undefined;
  readonly idPrefix: "chatcmpl" | "cmpl";
  readonly makeFormat: (identity: ResponseIdentity, includeUsage: boolean) => CompletionFormat;
}

export async function runCompletion(run: CompletionRun): Promise<void> {
  const id = `${run.idPrefix}-${randomUUID().replaceAll("-", "")}`;
  // One variant until canary routing picks among several; the label and header are already in place.
  const variant = DEFAULT_VARIANT;
  run.reply.header("x-model-variant", variant);
  const trace = run.tracker.start(run.request, {completionId: id, modelName: run.model.name, variant, prompt: run.prompt});
  const stream = run.model.engine.submit(toGenerationRequest(run.body, run.promptTokens, {
    id,
    variant,
    arrivalMs: run.request.arrivalMs,
    contextLength: run.model.contextLength,
    maxTokens: run.maxTokens
  }));
  trace.attach(stream);
  const includeUsage = run.body.stream_options?.include_usage === true;
  const identity = {id, created: Math.floor(Date.now() / 1000), model: run.model.name};
  await deliver(run.reply, stream, {
    isStreaming: run.body.stream === true,
    includeUsage,
    format: run.makeFormat(identity, includeUsage),
    requestId: id,
    onText: trace.onText
  });
}
