/**
 * Errors in OpenAI's shape and the handlers that produce them: fastify's error handler, and the
 * client-error handler for requests Node's HTTP parser refuses before fastify sees them (a malformed
 * request line, a bad Content-Length, a body cut short, headers too large). Every failure a client
 * can cause ends here as `{"error": {"message", "type", "param", "code"}}` with a 4xx status;
 * anything else is a 500 in the same shape, logged. Owns the mapping from domain codes to HTTP.
 */
import {STATUS_CODES} from "node:http";
import type {Duplex} from "node:stream";
import type {FastifyError, FastifyReply, FastifyRequest} from "fastify";
import type {ZodError, z} from "zod";
import {EngineError, type EngineErrorCode} from "../engine/errors.ts";

export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** An error a route raises on purpose, already in HTTP terms. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly type: string = "invalid_request_error",
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {}
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(): OpenAiErrorBody {
    return {error: {message: this.message, type: this.type, param: this.param, code: this.code}};
  }
}

interface EngineErrorMapping {
  readonly status: number;
  readonly type: string;
  /** OpenAI's code when it differs from the engine's. */
  readonly code?: string;
  /** Which request field is at fault, when one is: `param` names it. */
  readonly field?: "prompt" | "constraint" | "logprobs";
  readonly headers?: Record<string, string>;
}

const ENGINE_ERRORS: Readonly<Record<EngineErrorCode, EngineErrorMapping>> = {
  queue_full: {status: 429, type: "rate_limit_error", headers: {"retry-after": "1"}},
  prompt_too_long: {status: 400, type: "invalid_request_error", code: "context_length_exceeded", field: "prompt"},
  empty_prompt: {status: 400, type: "invalid_request_error", code: "invalid_value", field: "prompt"},
  unsupported_grammar: {status: 400, type: "invalid_request_error", code: "unsupported_parameter", field: "constraint"},
  unsupported_logprobs: {status: 400, type: "invalid_request_error", code: "unsupported_parameter", field: "logprobs"},
  // Request ids are the server's own, so a collision is the server's fault, not the client's.
  duplicate_request_id: {status: 500, type: "server_error"},
  // Retryable elsewhere: a load balancer (HAProxy's retry-on 503) or a client may resend it at once.
  shutting_down: {status: 503, type: "server_error", headers: {"retry-after": "1"}},
  not_ready: {status: 503, type: "server_error", headers: {"retry-after": "1"}},
  model_load_failed: {status: 500, type: "server_error"}
};

/** What the server knows about the request that the engine does not. */
export interface ErrorContext {
  /** The request field that held the prompt (`messages` or `prompt`). */
  readonly promptParam?: string;
  /** The request field that asked for a decoding constraint (`response_format`). */
  readonly constraintParam?: string;
}

export function fromEngineError(error: EngineError, context: ErrorContext = {}): ApiError {
  const mapped = ENGINE_ERRORS[error.code];
  const param = mapped.field === "prompt" ? context.promptParam ?? null
    : mapped.field === "constraint" ? context.constraintParam ?? null
    : mapped.field === "logprobs" ? "logprobs" : null;
  return new ApiError(mapped.status, error.message, mapped.type, param, mapped.code ?? error.code, mapped.headers);
}

/** `messages[0].role` from zod's path `["messages", 0, "role"]`. */
export function formatParamPath(path: readonly PropertyKey[]): string | null {
  if (path.length === 0) return null;
  return path.map((part, index) => (typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`)).join("");
}

type Issue = z.core.$ZodIssue;

/** A branch of a union that the value is not even the type of: one `invalid_type` at the union itself. */
function isTypeMismatch(branch: readonly Issue[]): boolean {
  return branch.length === 1 && branch[0]!.code === "invalid_type" && branch[0]!.path.length === 0;
}

/**
 * The issue worth reporting, with its full path. Zod reports a failed union (`stop`, a message's
 * `content`) as "Invalid input" at the union; when the value had the type of one branch (an array of
 * stops, an array of parts), that branch's own first issue names the field exactly (`stop[0]`,
 * `messages[0].content[0].type`). Otherwise the message lists the types the field accepts.
 */
function specificIssue(issue: Issue, prefix: readonly PropertyKey[] = []): {path: PropertyKey[]; message: string} {
  const path = [...prefix, ...issue.path];
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return {path, message: issue.message};
  const matched = issue.errors.find((branch) => branch.length > 0 && !isTypeMismatch(branch));
  if (matched) return specificIssue(matched[0]!, path);
  const expected = issue.errors.flatMap((branch) => (branch[0]?.code === "invalid_type" ? [branch[0].expected] : []));
  return {path, message: expected.length > 0 ? `Invalid input: expected ${[...new Set(expected)].join(" or ")}` : issue.message};
}

/** The first zod issue as a 400 naming the field. */
export function fromZodError(error: ZodError): ApiError {
  const issue = specificIssue(error.issues[0]!);
  const param = formatParamPath(issue.path);
  const message = param ? `Invalid value for '${param}': ${issue.message}` : issue.message;
  return new ApiError(400, message, "invalid_request_error", param, "invalid_value");
}

export function toApiError(error: unknown, context: ErrorContext = {}): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof EngineError) return fromEngineError(error, context);
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new ApiError(status, fastifyError.message ?? "invalid request", "invalid_request_error", null, fastifyError.code ?? null);
  }
  return new ApiError(500, "internal server error", "server_error", null, "internal_error");
}

/** The app's error handler: every thrown error leaves as OpenAI's error shape. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(error);
  if (apiError.statusCode >= 500) request.log.error({err: error}, "request failed");
  void reply.code(apiError.statusCode).headers(apiError.headers).send(apiError.toBody());
}

/** Status and code of a request the HTTP parser refused, by Node's error code. */
function clientErrorOf(code: string | undefined): {status: number; message: string; code: string} {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return {status: 408, message: "the request was not received in time", code: "request_timeout"};
  if (code === "HPE_HEADER_OVERFLOW") return {status: 431, message: "the request headers are too large", code: "headers_too_large"};
  return {status: 400, message: "the request is not valid HTTP", code: "malformed_request"};
}

/**
 * Fastify's `clientErrorHandler`: answers a request that Node's HTTP parser refused in OpenAI's error
 * shape (fastify's default writes its own), then drops the connection, whose state is unknown. A
 * reset or already-closed socket gets nothing.
 */
export function handleClientError(error: Error & {code?: string}, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const refused = clientErrorOf(error.code);
  const body = JSON.stringify(new ApiError(refused.status, refused.message, "invalid_request_error", null, refused.code).toBody());
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${refused.status} ${STATUS_CODES[refused.status]}\r\nconnection: close\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
