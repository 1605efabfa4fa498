/**
 * Reads one streamed chunk object (SSE event or websocket message) of an OpenAI-compatible server:
 * its content text, usage, finish reason or error. Tolerant of missing fields, strict about shape:
 * anything that is not an object is `malformed`. Knows nothing of timing.
 */
import type {EndpointKind} from "../types.ts";
import {RequestFailure} from "./RequestFailure.ts";

/** Token counts a server reports. */
export interface Usage {
  readonly promptTokens?: number;
  readonly completionTokens?: number;
}

/** What one chunk carries; every field is optional. */
export interface ChunkContent {
  /** Non-empty text only; role-only and empty chunks leave it undefined. */
  readonly content?: string;
  readonly usage?: Usage;
  readonly finishReason?: string;
  /** Message of an `error` object inside a 2xx stream. */
  readonly error?: string;
}

/**
 * Parses and reads the text of one chunk.
 * @throws RequestFailure `malformed` when the text is not a JSON object.
 */
export function parseChunk(text: string, endpoint: EndpointKind): ChunkContent {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RequestFailure("malformed", `unparsable chunk: ${text.slice(0, 80)}`);
  }
  return readChunk(json, endpoint);
}

/**
 * Reads a parsed chunk or non-streaming response body. Chat content is `choices[0].delta.content`
 * (streams) or `choices[0].message.content` (whole responses); completions use `choices[0].text`.
 * @throws RequestFailure `malformed` when `json` is not an object.
 */
export function readChunk(json: unknown, endpoint: EndpointKind): ChunkContent {
  if (!isRecord(json)) throw new RequestFailure("malformed", "chunk is not a JSON object");
  if (json["error"] !== undefined && json["error"] !== null) {
    const error = json["error"];
    return {error: isRecord(error) && typeof error["message"] === "string" ? error["message"] : JSON.stringify(error)};
  }
  const choices = json["choices"];
  const choice = Array.isArray(choices) && isRecord(choices[0]) ? choices[0] : undefined;
  let content: unknown;
  if (choice !== undefined) {
    if (endpoint === "completions") content = choice["text"];
    else {
      const part = isRecord(choice["delta"]) ? choice["delta"] : choice["message"];
      content = isRecord(part) ? part["content"] : undefined;
    }
  }
  const finishReason = choice?.["finish_reason"];
  const usage = readUsage(json["usage"]);
  return {
    ...(typeof content === "string" && content !== "" ? {content} : {}),
    ...(usage === undefined ? {} : {usage}),
    ...(typeof finishReason === "string" ? {finishReason} : {})
  };
}

/** The token counts of a `usage` object; undefined when there is none. */
export function readUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const prompt = value["prompt_tokens"];
  const completion = value["completion_tokens"];
  return {
    ...(typeof prompt === "number" ? {promptTokens: prompt} : {}),
    ...(typeof completion === "number" ? {completionTokens: completion} : {})
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
