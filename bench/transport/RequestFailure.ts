/**
 * The error a transport throws internally to end a request with a known failure type, and the
 * mapping from anything else thrown (fetch, ws, abort) to a failure type. Transports catch both and
 * turn them into a failed `RequestResult`; nothing leaves a transport as an exception.
 */
import type {FailureType} from "../types.ts";

/** A request failure whose type is already known. */
export class RequestFailure extends Error {
  constructor(
    readonly type: FailureType,
    message: string
  ) {
    super(message);
    this.name = "RequestFailure";
  }
}

/**
 * The failure type of `error`: its own when it is a `RequestFailure`, `timeout` or `aborted` when
 * the matching signal fired (fetch reports both as a plain AbortError), else `connection`.
 */
export function classifyError(
  error: unknown,
  state: {readonly isTimedOut: boolean; readonly isAborted: boolean}
): RequestFailure {
  if (state.isTimedOut) return new RequestFailure("timeout", "request timed out");
  if (state.isAborted) return new RequestFailure("aborted", "request aborted");
  if (error instanceof RequestFailure) return error;
  return new RequestFailure("connection", describe(error));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici wraps the socket error ("other side closed", ECONNRESET) in `cause`.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
