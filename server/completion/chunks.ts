/**
 * The third stage: what a started completion sends. For streaming transports, the chunk objects in
 * the order OpenAI sends them (the format's first chunk, the echoed prompt when asked, one chunk per
 * text delta with its tokens' log-probabilities when asked, the chunk with `finish_reason`, then the
 * usage chunk when asked; the last chunk carries `timings`), and finally the outcome; SSE and the
 * websocket serialize exactly these objects. For JSON, the whole response. Owns which objects a
 * completion yields; framing and back-pressure are the transports'.
 */
import type {PromptTokenLogprob, TokenLogprob} from "../../engine/types.ts";
import {chatLogprobs, TextLogprobWriter} from "../openai/logprobs.ts";
import {type CompletionFormat, completionFormat, type LogprobsPayload} from "../openai/formats.ts";
import {type CompletionOutcome, outcomeOf} from "./outcome.ts";
import type {CompletionPlan, StartedCompletion} from "./types.ts";

export interface ChunkOptions {
  /** Read once the generation has ended: true when the client left or cancelled it. */
  readonly isCancelledByClient: () => boolean;
}

function formatOf(started: StartedCompletion): CompletionFormat {
  const {plan} = started;
  return completionFormat(plan.kind, {id: plan.id, created: started.createdSeconds, model: plan.model.name}, plan.includeUsage);
}

/** The echoed prompt's text; empty without echo. */
function echoedText(plan: CompletionPlan): string {
  return plan.isEcho && plan.promptSource.kind === "text" ? plan.promptSource.text : "";
}

/** Turns consecutive entries into the kind's log-probability shape; null when the request asked for none. */
function logprobsWriter(plan: CompletionPlan, startOffset: number): (entries: readonly (TokenLogprob | PromptTokenLogprob)[]) => LogprobsPayload {
  if (!plan.logprobs) return () => null;
  if (plan.kind === "chat") return (entries) => chatLogprobs(entries as readonly TokenLogprob[]);
  const writer = new TextLogprobWriter(startOffset);
  return (entries) => writer.write(entries);
}

/**
 * Yields the chunks of `started` and returns its outcome. A caller that stops iterating early aborts
 * the generation (the stream's own iterator does), so its sequence is freed at the next step; it then
 * reads `started.stream.whenDone()` itself if it needs the summary.
 */
export async function* completionChunks(started: StartedCompletion, options: ChunkOptions): AsyncGenerator<object, CompletionOutcome, undefined> {
  const {plan, stream, trace} = started;
  const format = formatOf(started);
  const echo = echoedText(plan);
  const writeLogprobs = logprobsWriter(plan, echo.length);
  const first = format.firstChunk();
  if (first) yield first;
  if (echo.length > 0) yield format.deltaChunk(echo);
  for await (const event of stream) {
    if (event.type === "delta") {
      const {text, logprobs} = event.delta;
      if (text.length > 0 || (logprobs?.length ?? 0) > 0) {
        trace.onText?.(text);
        yield format.deltaChunk(text, writeLogprobs(logprobs ?? []));
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
  const {text, logprobs, summary} = await stream.collect();
  trace.onText?.(text);
  const outcome = outcomeOf(summary, options.isCancelledByClient());
  if (outcome.kind !== "finished") return {body: null, outcome};
  const echo = echoedText(plan);
  const entries = [...(plan.isEcho ? summary.promptLogprobs ?? [] : []), ...logprobs];
  const body = formatOf(started).fullResponse(echo + text, outcome.finishReason, outcome.usage, outcome.timings, logprobsWriter(plan, 0)(entries));
  return {body, outcome};
}
