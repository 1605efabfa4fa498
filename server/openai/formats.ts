/**
 * The two OpenAI response formats this server speaks: chat completions and text completions, each as
 * stream chunks and as a whole response object. Field order and presence follow what OpenAI sends, so
 * SDKs and UIs that parse it strictly keep working. Owns the object shapes only; no I/O.
 */
import type {FinishReason} from "../../engine/types.ts";

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly prompt_tokens_details: {readonly cached_tokens: number};
}

/** OpenAI's finish_reason for an engine finish; null when the client is gone and nothing is sent. */
export function openAiFinishReason(reason: FinishReason): "stop" | "length" | null {
  if (reason === "stop") return "stop";
  if (reason === "length" || reason === "timeout") return "length";
  return null;
}

export interface ResponseIdentity {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

export interface CompletionFormat {
  /** Sent before any content: the chat format announces the assistant role. */
  firstChunk(): object | null;
  deltaChunk(text: string): object;
  finishChunk(finishReason: "stop" | "length"): object;
  usageChunk(usage: Usage): object;
  fullResponse(text: string, finishReason: "stop" | "length", usage: Usage): object;
}

function usageOnlyChunk(identity: ResponseIdentity, object: string, usage: Usage): object {
  return {id: identity.id, object, created: identity.created, model: identity.model, system_fingerprint: null, choices: [], usage};
}

export function chatFormat(identity: ResponseIdentity, includeUsage: boolean): CompletionFormat {
  const chunk = (delta: object, finishReason: string | null) => ({
    id: identity.id,
    object: "chat.completion.chunk",
    created: identity.created,
    model: identity.model,
    system_fingerprint: null,
    choices: [{index: 0, delta, logprobs: null, finish_reason: finishReason}],
    ...(includeUsage ? {usage: null} : {})
  });
  return {
    firstChunk: () => chunk({role: "assistant", content: ""}, null),
    deltaChunk: (text) => chunk({content: text}, null),
    finishChunk: (finishReason) => chunk({}, finishReason),
    usageChunk: (usage) => usageOnlyChunk(identity, "chat.completion.chunk", usage),
    fullResponse: (text, finishReason, usage) => ({
      id: identity.id,
      object: "chat.completion",
      created: identity.created,
      model: identity.model,
      system_fingerprint: null,
      choices: [{index: 0, message: {role: "assistant", content: text, refusal: null}, logprobs: null, finish_reason: finishReason}],
      usage
    })
  };
}

export function textFormat(identity: ResponseIdentity, includeUsage: boolean): CompletionFormat {
  const chunk = (text: string, finishReason: string | null) => ({
    id: identity.id,
    object: "text_completion",
    created: identity.created,
    model: identity.model,
    system_fingerprint: null,
    choices: [{index: 0, text, logprobs: null, finish_reason: finishReason}],
    ...(includeUsage ? {usage: null} : {})
  });
  return {
    firstChunk: () => null,
    deltaChunk: (text) => chunk(text, null),
    finishChunk: (finishReason) => chunk("", finishReason),
    usageChunk: (usage) => usageOnlyChunk(identity, "text_completion", usage),
    fullResponse: (text, finishReason, usage) => ({
      id: identity.id,
      object: "text_completion",
      created: identity.created,
      model: identity.model,
      system_fingerprint: null,
      choices: [{index: 0, text, logprobs: null, finish_reason: finishReason}],
      usage
    })
  };
}
