/**
 * A small client for the completion endpoints that reads a response the same way whether it is one
 * JSON object or an SSE stream: text, finish reason, usage, the `timings` object and (for streams)
 * every chunk, so tests can compare what responses report with what /metrics counts.
 */
import type {Timings} from "../../server/openai/formats.ts";
import {readSse} from "../utils/sse.ts";

export interface Completion {
  readonly id: string;
  readonly status: number;
  readonly headers: Headers;
  readonly finishReason: string | null;
  readonly text: string;
  readonly usage: {prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details: {cached_tokens: number}} | null;
  readonly timings: Timings | null;
  /** Every parsed SSE chunk, for streamed requests. */
  readonly chunks: readonly Record<string, unknown>[];
}

export type {Timings};

type Chunk = Record<string, unknown> & {
  id: string;
  choices: {finish_reason: string | null; delta?: {content?: string}; text?: string}[];
  usage?: Completion["usage"];
  timings?: Timings;
};

/** POSTs a completion request and reads the whole answer (an error body leaves text empty). */
export async function complete(baseUrl: string, path: "/v1/chat/completions" | "/v1/completions", body: Record<string, unknown>,
  init: {readonly headers?: Record<string, string>} = {}): Promise<Completion> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: {"content-type": "application/json", ...init.headers},
    body: JSON.stringify(body)
  });
  if (body.stream !== true || response.status !== 200) {
    const json = (await response.json()) as Chunk & {choices?: {finish_reason: string; message?: {content: string}; text?: string}[]};
    const choice = json.choices?.[0];
    return {
      id: json.id, status: response.status, headers: response.headers, finishReason: choice?.finish_reason ?? null,
      text: choice?.message?.content ?? choice?.text ?? "", usage: json.usage ?? null, timings: json.timings ?? null, chunks: []
    };
  }
  const chunks: Chunk[] = [];
  for await (const chunk of readSse(response)) chunks.push(chunk as Chunk);
  const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? chunk.choices[0]?.text ?? "").join("");
  return {
    id: chunks[0]!.id,
    status: response.status,
    headers: response.headers,
    finishReason: chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0]?.finish_reason ?? null,
    text,
    usage: chunks.find((chunk) => chunk.usage)?.usage ?? null,
    timings: chunks.find((chunk) => chunk.timings)?.timings ?? null,
    chunks
  };
}
