/**
 * The session key: what keeps one conversation on one replica (where its prefix is cached), on one
 * canary variant, and together in the logs. It is the `x-session-id` header, else the body's OpenAI
 * `user` field; a websocket, whose upgrade a browser cannot give headers, may carry it as the
 * `session` query parameter instead. The load balancer configs in `deploy/` hash the same key in the
 * same order, so every layer agrees on what a session is. Owns that definition only.
 */
import type {IncomingHttpHeaders} from "node:http";

/** The request header holding the session key. */
export const SESSION_HEADER = "x-session-id";

/** The query parameter of a websocket upgrade URL holding the session key. */
export const SESSION_QUERY_PARAM = "session";

export interface SessionSource {
  readonly headers?: IncomingHttpHeaders;
  /** The body's `user` field. */
  readonly user?: string | null;
}

/** The value of a request header, the first when it was sent twice; null when absent or empty. */
export function headerValue(headers: IncomingHttpHeaders | undefined, name: string): string | null {
  const header = headers?.[name.toLowerCase()];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && value.length > 0 ? value : null;
}

/** The request's session key: the `x-session-id` header, else `user`; null when it has neither. */
export function sessionKeyOf({headers, user}: SessionSource): string | null {
  return headerValue(headers, SESSION_HEADER) ?? (user != null && user.length > 0 ? user : null);
}

/**
 * The headers of a websocket upgrade with the `session` query parameter folded in as `x-session-id`
 * (a header, when sent, wins), so the socket's requests carry the key the load balancer hashed.
 */
export function withSessionFromQuery(headers: IncomingHttpHeaders, url: string): IncomingHttpHeaders {
  if (headerValue(headers, SESSION_HEADER) !== null) return headers;
  const session = new URL(url, "http://localhost").searchParams.get(SESSION_QUERY_PARAM);
  return session === null || session.length === 0 ? headers : {...headers, [SESSION_HEADER]: session};
}
