/**
 * What the fake server says and when: the token script, the faults it can inject, the exact text
 * of its chunks, and a precise wait. Kept apart from the sockets in `fakeServer.ts` so every
 * response text is built before the wait it follows, and sending costs no time on the clock.
 */
import {setImmediate as immediate, setTimeout as sleep} from "node:timers/promises";

/** Scripted token timing and content. */
export interface TokenScript {
  /** From the request's arrival to the first content chunk. */
  readonly ttftMs: number;
  /** Between successive content chunks. */
  readonly itlMs: number;
  /** Output tokens per request. */
  readonly tokens: number;
  /** Tokens packed in each content chunk (default 1). */
  readonly tokensPerChunk?: number;
  /** Sends `usage` (default true); without it the bench must count tokens itself. */
  readonly isUsageSent?: boolean;
}

/** Ways the server can misbehave on a request. */
export type Fault = "http500" | "dropBeforeHeaders" | "dropMidStream" | "malformed" | "streamError" | "stall" | "noDone";

/** One token of filler: a single token in every tiktoken encoding. */
export const TOKEN_TEXT = " the";

/** Prompt tokens the fake reports in `usage`: 7 plus the index of the request. */
export const PROMPT_TOKENS_BASE = 7;

/** The content of each chunk: `tokens` tokens in chunks of `tokensPerChunk`. */
export function chunkPlan(script: TokenScript): string[] {
  const perChunk = script.tokensPerChunk ?? 1;
  const chunks: string[] = [];
  for (let left = script.tokens; left > 0; left -= perChunk) chunks.push(TOKEN_TEXT.repeat(Math.min(perChunk, left)));
  return chunks;
}

/** When content chunk `k` is due, relative to the request's arrival. */
export function chunkDueMs(script: TokenScript, k: number): number {
  return script.ttftMs + k * script.itlMs;
}

/** Waits until `performance.now() >= deadlineMs`, to within a fraction of a millisecond. */
export async function sleepUntil(deadlineMs: number): Promise<void> {
  // Node's timers may fire up to 1 ms early or a few ms late; polling finishes the wait while
  // `setImmediate` keeps the event loop serving I/O.
  const coarseMs = deadlineMs - performance.now() - 1.5;
  if (coarseMs > 0) await sleep(coarseMs);
  while (performance.now() < deadlineMs) await immediate();
}

/** The `usage` field, or nothing when the script withholds it. */
export function usageOf(script: TokenScript, index: number): {usage?: Record<string, number>} {
  if (script.isUsageSent === false) return {};
  const promptTokens = PROMPT_TOKENS_BASE + index;
  return {usage: {prompt_tokens: promptTokens, completion_tokens: script.tokens, total_tokens: promptTokens + script.tokens}};
}

/** A streamed chunk object of the chat or completions endpoint. */
export function streamChunk(isChat: boolean, content: string | undefined, finishReason: string | null): Record<string, unknown> {
  const choice = isChat
    ? {index: 0, delta: content === undefined ? {role: "assistant", content: ""} : {content}, finish_reason: finishReason}
    : {index: 0, text: content ?? "", finish_reason: finishReason};
  return {id: "cmpl-fake", object: isChat ? "chat.completion.chunk" : "text_completion", choices: [choice]};
}

/** A whole non-streaming response body. */
export function wholeResponse(isChat: boolean, script: TokenScript, index: number): string {
  const text = chunkPlan(script).join("");
  const choice = isChat
    ? {index: 0, message: {role: "assistant", content: text}, finish_reason: "length"}
    : {index: 0, text, finish_reason: "length"};
  return JSON.stringify({id: "cmpl-fake", object: isChat ? "chat.completion" : "text_completion", choices: [choice], ...usageOf(script, index)});
}

/** The OpenAI error body. */
export function errorBody(message: string): {error: Record<string, unknown>} {
  return {error: {message, type: "server_error", param: null, code: null}};
}

/** The body of `GET /v1/models` listing `models`, in OpenAI's shape. */
export function modelList(models: readonly string[]): string {
  return JSON.stringify({object: "list", data: models.map((id) => ({id, object: "model", created: 0, owned_by: "fake"}))});
}

/** Prometheus text of the fake's counters, with a gauge the bench must not diff. */
export function metricsText(counters: {readonly requests: number; readonly tokens: number}): string {
  return [
    "# HELP inflight:generation_tokens_total Generated tokens.",
    "# TYPE inflight:generation_tokens_total counter",
    `inflight:generation_tokens_total{model_name="fake"} ${counters.tokens}`,
    "# TYPE inflight:request_success_total counter",
    `inflight:request_success_total{finished_reason="length",model_name="fake"} ${counters.requests}`,
    "# TYPE inflight:num_requests_running gauge",
    "inflight:num_requests_running 3",
    ""
  ].join("\n");
}
