/**
 * A bare HTTP/1.1 client over a TCP socket, for tests that must send what well-behaved clients
 * cannot: wrong or missing content types, a Content-Length larger than the body, garbage bytes,
 * malformed request lines. Every request asks for `Connection: close`, so the response is whatever
 * arrives until the server closes. Optionally the client half-closes after writing, as a client that
 * gave up on the rest of its body does (Node's server then aborts a request still being read or
 * processed). Owns the bytes on the wire only; what to send is the tests'.
 */
import {connect} from "node:net";

export interface RawRequest {
  readonly method?: string;
  readonly path: string;
  /** Header lines as sent; `host` and `connection: close` are added. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Declared Content-Length; defaults to the body's length (left out when there is no body). */
  readonly contentLength?: number;
}

export interface RawResponse {
  /** Null when the server closed without answering. */
  readonly status: number | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** True when nothing ended the exchange within the timeout (the socket is then destroyed). */
  readonly isTimedOut: boolean;
}

/** The bytes of a request as {@link send} writes them. */
export function encodeRequest(request: RawRequest, host: string): Buffer {
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, "utf8");
  const lines = [`${request.method ?? "POST"} ${request.path} HTTP/1.1`, `host: ${host}`, "connection: close"];
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`${name}: ${value}`);
  const length = request.contentLength ?? body?.length;
  if (length !== undefined) lines.push(`content-length: ${length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body ?? Buffer.alloc(0)]);
}

/** Parses what a `connection: close` exchange received: status line, headers, body (de-chunked when chunked). */
export function parseResponse(bytes: Buffer): Omit<RawResponse, "isTimedOut"> {
  const text = bytes.toString("utf8");
  const headerEnd = text.indexOf("\r\n\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!match || headerEnd < 0) return {status: null, headers: {}, body: text};
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, headerEnd).split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(headerEnd + 4);
  if (headers["transfer-encoding"] === "chunked") body = dechunk(body);
  return {status: Number(match[1]), headers, body};
}

function dechunk(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const lineEnd = rest.indexOf("\r\n");
    if (lineEnd < 0) return out;
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

export interface SendOptions {
  readonly timeoutMs?: number;
  /** Half-close (send FIN) after writing; default false. */
  readonly isHalfClosed?: boolean;
}

/** Sends raw bytes to `baseUrl` (http://host:port) and reads until the server closes. */
export async function sendRaw(baseUrl: string, bytes: Buffer, {timeoutMs = 5_000, isHalfClosed = false}: SendOptions = {}): Promise<RawResponse> {
  const {hostname, port} = new URL(baseUrl);
  const socket = connect({host: hostname, port: Number(port)});
  const received: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  const isTimedOut = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(true), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    socket.once("close", done);
    // A reset after a refusal still leaves what was received readable.
    socket.on("error", () => {});
    if (isHalfClosed) socket.end(bytes);
    else socket.write(bytes);
  });
  socket.destroy();
  return {...parseResponse(Buffer.concat(received)), isTimedOut};
}

/** {@link encodeRequest} then {@link sendRaw}. */
export async function send(baseUrl: string, request: RawRequest, options?: SendOptions): Promise<RawResponse> {
  return sendRaw(baseUrl, encodeRequest(request, new URL(baseUrl).host), options);
}
