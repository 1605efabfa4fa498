/**
 * The two OpenAI response formats this server speaks: chat completions and text completions, each as
 * stream chunks and as a whole response object. Field order and presence follow what OpenAI sends, so
 * SDKs and UIs that parse it strictly keep working. Owns the object shapes only; no I/O.
 *
 * One addition of ours, as llama-server does: a `timings` object on the whole response and on the last
 * chunk of a stream (the usage chunk when `include_usage` is set, the finish chunk otherwise). SDKs
 * ignore fields they do not know.
 */
import type {FinishReason, GenerationSummary} from "../../engine/types.ts";

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly prompt_tokens_details: {readonly cached_tokens: number};
}

/** Where one request's time went, in milliseconds (3 decimals), and its token counts. */
export interface Timings {
  readonly queue_ms: number;
  /** The prefill: first scheduled to first token. */
  readonly prompt_ms: number | null;
  /** From arrival at the server, tokenization included. */
  readonly ttft_ms: number | null;
  /** (e2e_ms - ttft_ms) / (generated_tokens - 1). */
  readonly tpot_ms: number | null;
  readonly e2e_ms: number;
  readonly prompt_tokens: number;
  readonly cached_tokens: number;
  readonly generated_tokens: number;
  /** Only when the request was decoded speculatively. */
  readonly draft_tokens?: number;
  readonly draft_accepted_tokens?: number;
  readonly draft_acceptance_rate?: number | null;
}

function roundMs(ms: number): number;
function roundMs(ms: number | null): number | null;
function roundMs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 1000) / 1000;
}

export function timingsOf(summary: GenerationSummary): Timings {
  const {timings, speculation} = summary;
  return {
    queue_ms: roundMs(timings.queueMs),
    prompt_ms: roundMs(timings.promptMs),
    ttft_ms: roundMs(timings.timeToFirstTokenMs),
    tpot_ms: roundMs(timings.timePerOutputTokenMs),
    e2e_ms: roundMs(timings.totalMs),
    prompt_tokens: summary.numPromptTokens,
    cached_tokens: summary.numCachedPromptTokens,
    generated_tokens: summary.numOutputTokens,
    ...(speculation ? {
      draft_tokens: speculation.numDraftTokens,
      draft_accepted_tokens: speculation.numAcceptedTokens,
      draft_acceptance_rate: speculation.numDraftTokens === 0 ? null : speculation.numAcceptedTokens / speculation.numDraftTokens
    } : {})
  };
}

export function usageOf(summary: GenerationSummary): Usage {
  return {
    prompt_tokens: summary.numPromptTokens,
    completion_tokens: summary.numOutputTokens,
    total_tokens: summary.numPromptTokens + summary.numOutputTokens,
    prompt_tokens_details: {cached_tokens: summary.numCachedPromptTokens}
  };
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
  /** `timings` is set when this is the stream's last chunk. */
  finishChunk(finishReason: "stop" | "length", timings: Timings | null): object;
  usageChunk(usage: Usage, timings: Timings): object;
  fullResponse(text: string, finishReason: "stop" | "length", usage: Usage, timings: Timings): object;
}

function usageOnlyChunk(identity: ResponseIdentity, object: string, usage: Usage, timings: Timings): object {
  return {id: identity.id, object, created: identity.created, model: identity.model, system_fingerprint: null, choices: [], usage, timings};
}

export function chatFormat(identity: ResponseIdentity, includeUsage: boolean): CompletionFormat {
  const chunk = (delta: object, finishReason: string | null, timings: Timings | null = null): object => {
    const body: Record<string, unknown> = {
      id: identity.id,
      object: "chat.completion.chunk",
      created: identity.created,
      model: identity.model,
      system_fingerprint: null,
      choices: [{index: 0, delta, logprobs: null, finish_reason: finishReason}]
    };
    // Assigned rather than spread: this runs once per streamed token.
    if (includeUsage) body.usage = null;
    if (timings) body.timings = timings;
    return body;
  };
  return {
    firstChunk: () => chunk({role: "assistant", content: ""}, null),
    deltaChunk: (text) => chunk({content: text}, null),
    finishChunk: (finishReason, timings) => chunk({}, finishReason, timings),
    usageChunk: (usage, timings) => usageOnlyChunk(identity, "chat.completion.chunk", usage, timings),
    fullResponse: (text, finishReason, usage, timings) => ({
      id: identity.id,
      object: "chat.completion",
      created: identity.created,
      model: identity.model,
      system_fingerprint: null,
      choices: [{index: 0, message: {role: "assistant", content: text, refusal: null}, logprobs: null, finish_reason: finishReason}],
      usage,
      timings
    })
  };
}

export function textFormat(identity: ResponseIdentity, includeUsage: boolean): CompletionFormat {
  const chunk = (text: string, finishReason: string | null, timings: Timings | null = null): object => {
    const body: Record<string, unknown> = {
      id: identity.id,
      object: "text_completion",
      created: identity.created,
      model: identity.model,
      system_fingerprint: null,
      choices: [{index: 0, text, logprobs: null, finish_reason: finishReason}]
    };
    // Assigned rather than spread: this runs once per streamed token.
    if (includeUsage) body.usage = null;
    if (timings) body.timings = timings;
    return body;
  };
  return {
    firstChunk: () => null,
    deltaChunk: (text) => chunk(text, null),
    finishChunk: (finishReason, timings) => chunk("", finishReason, timings),
    usageChunk: (usage, timings) => usageOnlyChunk(identity, "text_completion", usage, timings),
    fullResponse: (text, finishReason, usage, timings) => ({
      id: identity.id,
      object: "text_completion",
      created: identity.created,
      model: identity.model,
      system_fingerprint: null,
      choices: [{index: 0, text, logprobs: null, finish_reason: finishReason}],
      usage,
      timings
    })
  };
}
