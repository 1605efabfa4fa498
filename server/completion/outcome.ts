/**
 * How a completion ended, decided in one place for every transport: finished (with OpenAI's finish
 * reason, usage and timings), failed (the error the client gets instead of, or after, its output), or
 * cancelled (the client left or cancelled: nobody to answer). Owns that decision only.
 */
import type {GenerationSummary} from "../../engine/types.ts";
import {ApiError} from "../errors.ts";
import {type OpenAiFinishReason, type Timings, timingsOf, type Usage, usageOf} from "../openai/formats.ts";

export type CompletionOutcome =
  | {readonly kind: "finished"; readonly finishReason: OpenAiFinishReason; readonly usage: Usage; readonly timings: Timings}
  | {readonly kind: "failed"; readonly error: ApiError}
  | {readonly kind: "cancelled"; readonly usage: Usage};

/**
 * The outcome of a generation from its summary. `isCancelledByClient` tells an abort the client
 * caused (it left, or cancelled over the websocket) from one the server caused (shutting down).
 * A request that timed out (`--request-timeout`) before producing anything is a 504; a running one
 * that timed out ends normally with what it has, finish_reason "length".
 */
export function outcomeOf(summary: GenerationSummary, isCancelledByClient: boolean): CompletionOutcome {
  switch (summary.finishReason) {
    case "stop":
      return {kind: "finished", finishReason: "stop", usage: usageOf(summary), timings: timingsOf(summary)};
    case "length":
      return {kind: "finished", finishReason: "length", usage: usageOf(summary), timings: timingsOf(summary)};
    case "timeout":
      if (summary.numOutputTokens === 0) {
        return {kind: "failed", error: new ApiError(504, "the request timed out before a sequence was free (--request-timeout)", "server_error", null, "timeout")};
      }
      return {kind: "finished", finishReason: "length", usage: usageOf(summary), timings: timingsOf(summary)};
    case "error":
      return {kind: "failed", error: new ApiError(500, `generation failed: ${summary.errorMessage ?? "engine error"}`, "server_error", null, "engine_error")};
    case "abort":
      if (isCancelledByClient) return {kind: "cancelled", usage: usageOf(summary)};
      return {kind: "failed", error: new ApiError(503, "the generation was stopped by the server", "server_error", null, "aborted")};
  }
}

/** Usage of several choices of one prompt: the prompt counted once, the completions summed. */
function combinedUsage(usages: readonly Usage[]): Usage {
  const [first] = usages;
  const completionTokens = usages.reduce((sum, usage) => sum + usage.completion_tokens, 0);
  return {
    prompt_tokens: first!.prompt_tokens,
    completion_tokens: completionTokens,
    total_tokens: first!.prompt_tokens + completionTokens,
    prompt_tokens_details: first!.prompt_tokens_details
  };
}

/**
 * How a completion of several choices ended: failed if any choice failed, cancelled if the client
 * cancelled, otherwise finished, with the first choice's finish reason and timings and the usage of all.
 */
export function combinedOutcome(outcomes: readonly CompletionOutcome[]): CompletionOutcome {
  if (outcomes.length === 1) return outcomes[0]!;
  const failed = outcomes.find((outcome) => outcome.kind === "failed");
  if (failed) return failed;
  const usage = combinedUsage(outcomes.map((outcome) => (outcome as {usage: Usage}).usage));
  const finished = outcomes.filter((outcome) => outcome.kind === "finished");
  if (finished.length < outcomes.length) return {kind: "cancelled", usage};
  return {...finished[0]!, usage};
}
