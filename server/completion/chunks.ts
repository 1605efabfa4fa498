/**
 * The third stage for streaming transports: the chunk objects of one started completion, in the order
 * OpenAI sends them (the format's first chunk, one chunk per non-empty text delta, the chunk with
 * `finish_reason`, then the usage chunk when asked; the last chunk carries `timings`), and finally the
 * outcome. SSE and the websocket both serialize exactly these objects. Owns which chunks a generation
 * yields; framing and back-pressure are the transports'.
 */
import {completionFormat} from "../openai/formats.ts";
import {type CompletionOutcome, outcomeOf} from "./outcome.ts";
import type {StartedCompletion} from "./types.ts";

export interface ChunkOptions {
  /** Read once the generation has ended: true when the client left or cancelled it. */
  readonly isCancelledByClient: () => boolean;
}

/**
 * Yields the chunks of `started` and returns its outcome. A caller that stops iterating early aborts
 * the generation (the stream's own iterator does), so its sequence is freed at the next step; it then
 * reads `started.stream.whenDone()` itself if it needs the summary.
 */
export async function* completionChunks(started: StartedCompletion, options: ChunkOptions): AsyncGenerator<object, CompletionOutcome, undefined> {
  const {plan, stream, trace} = started;
  const format = completionFormat(plan.kind, {id: plan.id, created: started.createdSeconds, model: plan.model.name}, plan.includeUsage);
  const first = format.firstChunk();
  if (first) yield first;
  for await (const event of stream) {
    if (event.type === "delta") {
      if (event.delta.text.length > 0) {
        trace.onText?.(event.delta.text);
        yield format.deltaChunk(event.delta.text);
      }
      continue;
    }
    const outcome = outcomeOf(event.summary, options.isCancelledByClient());
    if (outcome.kind === "finished") {
      yield format.finishChunk(outcome.finishReason, plan.includeUsage ? null : outcome.timings);
      if (plan.includeUsage) yield format.usageChunk(outcome.usage, outcome.timings);
    }
    return outcome;
  }
  return outcomeOf(await stream.whenDone(), options.isCancelledByClient());
}

/** The whole response of a non-streamed completion, or the outcome that prevents one. */
export async function completionResponse(started: StartedCompletion, options: ChunkOptions): Promise<{readonly body: object | null; readonly outcome: CompletionOutcome}> {
  const {plan, stream, trace} = started;
  const {text, summary} = await stream.collect();
  trace.onText?.(text);
  const outcome = outcomeOf(summary, options.isCancelledByClient());
  if (outcome.kind !== "finished") return {body: null, outcome};
  const format = completionFormat(plan.kind, {id: plan.id, created: started.createdSeconds, model: plan.model.name}, plan.includeUsage);
  return {body: format.fullResponse(text, outcome.finishReason, outcome.usage, outcome.timings), outcome};
}
