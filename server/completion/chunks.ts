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
import {type CompletionFormat, completionFormat, type LogprobsPayload, type OpenAiFinishReason, type WholeChoice} from "../openai/formats.ts";
import {mergeStreams} from "./mergeStreams.ts";
import {combinedOutcome, type CompletionOutcome, outcomeOf} from "./outcome.ts";
import {ToolCallChoice, wholeToolCallReply} from "./toolCallChoice.ts";
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
 * Yields the chunks of `started` and returns its outcome. Choices (`n`) interleave as their tokens
 * come, each with its own finish chunk; the stream's last chunk carries the timings. A caller that
 * stops iterating early aborts the generations, so their sequences are freed at the next step.
 */
export async function* completionChunks(started: StartedCompletion, options: ChunkOptions): AsyncGenerator<object, CompletionOutcome, undefined> {
  const {plan, streams, trace} = started;
  const format = formatOf(started);
  const echo = echoedText(plan);
  const writers = streams.map(() => logprobsWriter(plan, echo.length));
  const toolChoices = plan.tools ? streams.map((_, index) => new ToolCallChoice(plan.tools!.syntax, format, index)) : null;
  for (let index = 0; index < streams.length; index++) {
    const first = format.firstChunk(index);
    if (first) yield first;
    if (echo.length > 0) yield format.deltaChunk(index, echo);
  }
  const outcomes: CompletionOutcome[] = new Array(streams.length);
  let numOpen = streams.length;
  for await (const {index, event} of mergeStreams(streams)) {
    if (event.type === "delta") {
      const {text, logprobs} = event.delta;
      if (text.length === 0 && (logprobs?.length ?? 0) === 0) continue;
      if (index === 0) trace.onText?.(text);
      // Log-probabilities are refused with tools while streaming: a delta may hold text and a call.
      if (toolChoices) yield* toolChoices[index]!.push(text);
      else yield format.deltaChunk(index, text, writers[index]!(logprobs ?? []));
      continue;
    }
    const outcome = outcomeOf(event.summary, options.isCancelledByClient());
    outcomes[index] = outcome;
    const isLast = --numOpen === 0;
    if (outcome.kind !== "finished") continue;
    const finishChunk = (reason: OpenAiFinishReason) => format.finishChunk(index, reason, isLast && !plan.includeUsage ? outcome.timings : null);
    if (toolChoices) yield* toolChoices[index]!.finish(outcome.finishReason, finishChunk);
    else yield finishChunk(outcome.finishReason);
  }
  const outcome = combinedOutcome(outcomes);
  if (outcome.kind === "finished" && plan.includeUsage) yield format.usageChunk(outcome.usage, outcome.timings);
  return outcome;
}

/** The whole response of a non-streamed completion, or the outcome that prevents one. */
export async function completionResponse(started: StartedCompletion, options: ChunkOptions): Promise<{readonly body: object | null; readonly outcome: CompletionOutcome}> {
  const {plan, streams, trace} = started;
  const collected = await Promise.all(streams.map((stream) => stream.collect()));
  trace.onText?.(collected[0]!.text);
  const outcomes = collected.map(({summary}) => outcomeOf(summary, options.isCancelledByClient()));
  const outcome = combinedOutcome(outcomes);
  if (outcome.kind !== "finished") return {body: null, outcome};
  const echo = echoedText(plan);
  const choices: WholeChoice[] = collected.map(({text, logprobs, summary}, index) => {
    const entries = [...(plan.isEcho ? summary.promptLogprobs ?? [] : []), ...logprobs];
    const finishReason = (outcomes[index] as {finishReason: OpenAiFinishReason}).finishReason;
    const payload = logprobsWriter(plan, 0)(entries);
    if (plan.tools) return {...wholeToolCallReply(plan.tools.syntax, text, finishReason), logprobs: payload};
    return {text: echo + text, finishReason, logprobs: payload};
  });
  return {body: formatOf(started).fullResponse(choices, outcome.usage, outcome.timings), outcome};
}
