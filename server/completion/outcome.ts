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
