/**
 * Errors in OpenAI's shape and the one fastify error handler that produces them. Every failure a
 * client can cause ends here as `{"error": {"message", "type", "param", "code"}}` with a 4xx status;
 * anything else is a 500 in the same shape, logged. Owns the mapping from domain codes to HTTP.
 */
import type {FastifyError, FastifyReply, FastifyRequest} from "fastify";
import type {ZodError} from "zod";
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

const ENGINE_ERROR_STATUS: Readonly<Record<EngineErrorCode, {status: number; type: string; headers?: Record<string, string>}>> = {
  queue_full: {status: 429, type: "rate_limit_error", headers: {"retry-after": "1"}},
  context_length_exceeded: {status: 400, type: "invalid_request_error"},
  shutting_down: {status: 503, type: "server_error"},
  not_ready: {status: 503, type: "server_error", headers: {"retry-after": "1"}},
  model_load_failed: {status: 500, type: "server_error"}
};

export function fromEngineError(error: EngineError): ApiError {
  const mapped = ENGINE_ERROR_STATUS[error.code];
  return new ApiError(mapped.status, error.message, mapped.type, error.param, error.code, mapped.headers);
}

/** `messages[0].role` from zod's path `["messages", 0, "role"]`. */
export function formatParamPath(path: readonly PropertyKey[]): string | null {
  if (path.length === 0) return null;
  return path.map((part, index) => (typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`)).join("");
}

/** The first zod issue as a 400 naming the field. */
export function fromZodError(error: ZodError): ApiError {
  const issue = error.issues[0]!;
  const param = formatParamPath(issue.path);
  const message = param ? `Invalid value for '${param}': ${issue.message}` : issue.message;
  return new ApiError(400, message, "invalid_request_error", param, "invalid_value");
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof EngineError) return fromEngineError(error);
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
