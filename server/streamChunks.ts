/**
 * The chunk objects of one streamed generation, in the order OpenAI sends them: the format's first
 * chunk (the chat role), one chunk per non-empty text delta, the chunk with `finish_reason`, then the
 * usage chunk when asked; the stream's last chunk carries `timings`. Shared by the SSE and websocket
 * transports so both send exactly the same objects. Owns which chunks a generation yields; framing,
 * back-pressure and how the stream ended (an engine failure, a client that left) are the transports'.
 */
import type {GenerationStream} from "../engine/GenerationStream.ts";
import type {GenerationSummary} from "../engine/types.ts";
import {ApiError} from "./errors.ts";
import {type CompletionFormat, openAiFinishReason, timingsOf, usageOf} from "./openai/formats.ts";

export interface ChunkOptions {
  readonly format: CompletionFormat;
  readonly includeUsage: boolean;
  /** Gets the output text as it is yielded; only set when someone keeps it (`--log-prompts`). */
  readonly onText?: ((text: string) => void) | undefined;
}

/**
 * The error a client gets instead of a completion, or null when the generation has one to send: the
 * engine failed the request (500), or `--request-timeout` passed before it produced anything (504;
 * a running request that times out ends normally with what it has, finish_reason "length").
 */
export function generationFailure(summary: GenerationSummary): ApiError | null {
  if (summary.finishReason === "error")
    return new ApiError(500, `generation failed: ${summary.errorMessage ?? "engine error"}`, "server_error", null, "engine_error");
  if (summary.finishReason === "timeout" && summary.numOutputTokens === 0)
    return new ApiError(504, "the request timed out before a sequence was free (--request-timeout)", "server_error", null, "timeout");
  return null;
}

/**
 * Yields the chunks of `stream` until the engine ends it. An engine failure or an abort yields no
 * closing chunk: the caller reads `stream.whenDone()` to tell. A caller that stops iterating early
 * aborts the generation (the stream's own iterator does), so its sequence is freed at the next step.
 */
export async function* streamChunks(stream: GenerationStream, options: ChunkOptions): AsyncGenerator<object, void, undefined> {
  const {format, includeUsage, onText} = options;
  const first = format.firstChunk();
  if (first) yield first;
  for await (const event of stream) {
    if (event.type === "delta") {
      if (event.delta.text.length > 0) {
        onText?.(event.delta.text);
        yield format.deltaChunk(event.delta.text);
      }
      continue;
    }
    const {summary} = event;
    const finishReason = openAiFinishReason(summary.finishReason);
    if (generationFailure(summary) !== null || finishReason === null) return;
    const timings = timingsOf(summary);
    yield format.finishChunk(finishReason, includeUsage ? null : timings);
    if (includeUsage) yield format.usageChunk(usageOf(summary), timings);
  }
}
