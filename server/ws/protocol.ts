/**
 * The messages of the chat websocket (`/v1/chat/completions/ws`), both ways. A client sends a chat
 * completion body with a `request_id` of its choosing, or `{"type": "cancel", "request_id"}`. The
 * server answers each request with the chunk objects of the SSE stream, each tagged with the
 * `request_id`, then exactly one terminal message: `{"request_id", "type": "done"}` (with `usage`
 * when `stream_options.include_usage` is set, `cancelled: true` after a cancel) or
 * `{"request_id", "type": "error", "status", "error"}` with OpenAI's error object. A message that
 * names no usable `request_id` gets an error with `request_id: null`. Owns parsing and serializing;
 * what happens to a request is `ChatSocket.ts`'s.
 */
import {ApiError} from "../errors.ts";
import type {Usage} from "../openai/usage.ts";

/** Longer ids are refused: they are echoed in every chunk and logged. */
export const MAX_REQUEST_ID_LENGTH = 128;

export type ClientMessage =
  | {readonly type: "request"; readonly requestId: string; readonly body: Readonly<Record<string, unknown>>}
  | {readonly type: "cancel"; readonly requestId: string};

/** A message the server cannot act on; answered with an error message, the socket stays open. */
export class ProtocolError extends Error {
  constructor(readonly requestId: string | null, readonly apiError: ApiError) {
    super(apiError.message);
    this.name = "ProtocolError";
  }
}

function invalid(requestId: string | null, message: string, param: string | null, code: string): ProtocolError {
  return new ProtocolError(requestId, new ApiError(400, message, "invalid_request_error", param, code));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads one client message. Throws {@link ProtocolError} for anything malformed. */
export function parseClientMessage(text: string): ClientMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(null, "the message is not valid JSON", null, "invalid_json");
  }
  if (!isRecord(json)) throw invalid(null, "a message must be a JSON object", null, "invalid_message");
  const {request_id: requestId, type, ...body} = json;
  if (typeof requestId !== "string" || requestId.length === 0 || requestId.length > MAX_REQUEST_ID_LENGTH) {
    throw invalid(null, `request_id must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters`, "request_id", "invalid_request_id");
  }
  if (type === "cancel") return {type: "cancel", requestId};
  if (type !== undefined && type !== "request") {
    throw invalid(requestId, "type must be \"request\" (or left out) or \"cancel\"", "type", "invalid_message_type");
  }
  return {type: "request", requestId, body};
}

/**
 * The start of every chunk message of a request, `{"request_id":"...",`, built once per request: a
 * chunk is then tagged by splicing its JSON in, with no object copy per token.
 */
export function chunkPrefix(requestId: string): string {
  return `{"request_id":${JSON.stringify(requestId)},`;
}

/** A chunk object tagged with its request, given the request's {@link chunkPrefix}. */
export function taggedChunk(prefix: string, chunk: object): string {
  const json = JSON.stringify(chunk);
  return json === "{}" ? `${prefix.slice(0, -1)}}` : prefix + json.slice(1);
}

export function doneMessage(requestId: string, usage: Usage | null, isCancelled: boolean): string {
  return JSON.stringify({request_id: requestId, type: "done", ...(usage ? {usage} : {}), ...(isCancelled ? {cancelled: true} : {})});
}

/** `status` is the HTTP status the same failure gets on `POST /v1/chat/completions` (429: retry later). */
export function errorMessage(requestId: string | null, error: ApiError): string {
  return JSON.stringify({request_id: requestId, type: "error", status: error.statusCode, ...error.toBody()});
}
