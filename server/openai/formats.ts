/**
 * The two OpenAI response formats this server speaks, chat completions and text completions, each as
 * stream chunks and as a whole response object, from one factory: the kinds differ only in object
 * names and in how a choice carries its text. Field order and presence follow what OpenAI sends, so
 * SDKs and UIs that parse it strictly keep working. Owns the object shapes only; no I/O.
 *
 * One addition of ours, as llama-server does: a `timings` object on the whole response and on the last
 * chunk of a stream (the usage chunk when `include_usage` is set, the finish chunk otherwise). SDKs
 * ignore fields they do not know.
 */
import type {Timings, Usage} from "./usage.ts";

export type {Timings, Usage} from "./usage.ts";
export {timingsOf, usageOf} from "./usage.ts";

/** The finish reasons a client can receive. */
export type OpenAiFinishReason = "stop" | "length" | "tool_calls";

/** A tool call of a whole response. */
export interface WholeToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

export type ResponseKind = "chat" | "text";

export interface ResponseIdentity {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

/** A choice's log-probabilities in the kind's shape (`openai/logprobs.ts`), or null when not asked for. */
export type LogprobsPayload = object | null;

/** One choice of a whole response. */
export interface WholeChoice {
  readonly text: string;
  readonly finishReason: OpenAiFinishReason;
  readonly logprobs: LogprobsPayload;
  /** Chat only: the calls the reply made; its content is null when it made nothing else. */
  readonly toolCalls?: readonly WholeToolCall[];
}

/** The objects of a response; `index` is the choice's (0 to n - 1). */
export interface CompletionFormat {
  /** Sent before any content of a choice: the chat format announces the assistant role. */
  firstChunk(index: number): object | null;
  deltaChunk(index: number, text: string, logprobs?: LogprobsPayload): object;
  /** Chat only: pieces of tool calls (`{index, id, type, function: {name, arguments}}`, later ones arguments only). */
  toolCallChunk(index: number, toolCalls: readonly object[]): object;
  /** `timings` is set when this is the stream's last chunk. */
  finishChunk(index: number, finishReason: OpenAiFinishReason, timings: Timings | null): object;
  usageChunk(usage: Usage, timings: Timings): object;
  fullResponse(choices: readonly WholeChoice[], usage: Usage, timings: Timings): object;
}

/** How one kind differs from the other. */
interface KindShape {
  readonly chunkObject: string;
  readonly responseObject: string;
  /** The delta of the first chunk, or null when the kind sends none. */
  readonly firstDelta: object | null;
  /** A streamed choice carrying `text` (null: the finish chunk's empty delta). */
  streamedChoice(index: number, text: string | null, finishReason: OpenAiFinishReason | null, logprobs: LogprobsPayload): object;
  wholeChoice(index: number, choice: WholeChoice): object;
}

/** A chat reply's message: its text, or null when it only called tools; its calls, when it made any. */
function chatMessage(text: string, toolCalls: readonly WholeToolCall[] | undefined): object {
  if (!toolCalls?.length) return {role: "assistant", content: text, refusal: null};
  return {
    role: "assistant",
    content: text.trim().length === 0 ? null : text,
    refusal: null,
    tool_calls: toolCalls.map(({id, name, arguments: args}) => ({id, type: "function", function: {name, arguments: args}}))
  };
}

const SHAPES: Readonly<Record<ResponseKind, KindShape>> = {
  chat: {
    chunkObject: "chat.completion.chunk",
    responseObject: "chat.completion",
    firstDelta: {role: "assistant", content: ""},
    streamedChoice: (index, text, finishReason, logprobs) => ({index, delta: text === null ? {} : {content: text}, logprobs, finish_reason: finishReason}),
    wholeChoice: (index, {text, finishReason, logprobs, toolCalls}) => ({index, message: chatMessage(text, toolCalls), logprobs, finish_reason: finishReason})
  },
  text: {
    chunkObject: "text_completion",
    responseObject: "text_completion",
    firstDelta: null,
    streamedChoice: (index, text, finishReason, logprobs) => ({index, text: text ?? "", logprobs, finish_reason: finishReason}),
    wholeChoice: (index, {text, finishReason, logprobs}) => ({index, text, logprobs, finish_reason: finishReason})
  }
};

export function completionFormat(kind: ResponseKind, identity: ResponseIdentity, includeUsage: boolean): CompletionFormat {
  const shape = SHAPES[kind];
  const envelope = (object: string, choices: object[]): Record<string, unknown> =>
    ({id: identity.id, object, created: identity.created, model: identity.model, system_fingerprint: null, choices});
  const chunk = (choice: object, timings: Timings | null = null): object => {
    const body = envelope(shape.chunkObject, [choice]);
    // Assigned rather than spread: this runs once per streamed token.
    if (includeUsage) body.usage = null;
    if (timings) body.timings = timings;
    return body;
  };
  return {
    firstChunk: (index) => (shape.firstDelta ? chunk({index, delta: shape.firstDelta, logprobs: null, finish_reason: null}) : null),
    deltaChunk: (index, text, logprobs = null) => chunk(shape.streamedChoice(index, text, null, logprobs)),
    toolCallChunk: (index, toolCalls) => chunk({index, delta: {tool_calls: toolCalls}, logprobs: null, finish_reason: null}),
    finishChunk: (index, finishReason, timings) => chunk(shape.streamedChoice(index, null, finishReason, null), timings),
    usageChunk: (usage, timings) => ({...envelope(shape.chunkObject, []), usage, timings}),
    fullResponse: (choices, usage, timings) => ({
      ...envelope(shape.responseObject, choices.map((choice, index) => shape.wholeChoice(index, choice))),
      usage,
      timings
    })
  };
}
