/**
 * Sends one POST with node:http(s) and hands back a 2xx response, or throws a `RequestFailure`
 * carrying the HTTP status; then reads the body under the size bound, timestamping each piece in
 * the `data` handler itself. node:http rather than fetch because fetch's web streams add several
 * milliseconds of client-side delay to every response on a busy machine, and that delay would be
 * reported as server latency. Shared by the SSE and non-streaming transports; interpreting the
 * body is theirs.
 */
import http, {type IncomingMessage} from "node:http";
import https from "node:https";
import {RequestFailure} from "./RequestFailure.ts";
import {MAX_RESPONSE_BYTES} from "./types.ts";

/** Keep-alive connections of one transport; `destroy` closes them all. */
export interface HttpClient {
  /**
   * POSTs `body` as JSON; resolves once the response headers arrived.
   * @param onSend called right before the request is written, to mark the send time.
   * @throws RequestFailure `http_<status>` on a non-2xx answer, with the server's error message;
   *   the error of node:http (connection, abort) otherwise.
   */
  post(url: string, body: unknown, headers: Record<string, string>, signal: AbortSignal, onSend: () => void): Promise<IncomingMessage>;
  destroy(): void;
}

/** A client whose connections are kept alive between requests, without a limit on their number. */
export function createHttpClient(baseUrl: string): HttpClient {
  const isHttps = baseUrl.startsWith("https:");
  const agent = isHttps ? new https.Agent({keepAlive: true}) : new http.Agent({keepAlive: true});
  return {
    post(url, body, headers, signal, onSend) {
      const payload = Buffer.from(JSON.stringify(body));
      return new Promise((resolve, reject) => {
        const options = {method: "POST", agent, signal, headers: {...headers, "content-length": String(payload.length)}};
        const request = isHttps ? https.request(url, options) : http.request(url, options);
        request.on("error", reject);
        request.once("response", (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(response);
            return;
          }
          readBody(response, () => false, true).then(
            (text) => reject(new RequestFailure(`http_${status}`, errorMessage(text) ?? `HTTP ${status}`)),
            () => reject(new RequestFailure(`http_${status}`, `HTTP ${status}`))
          );
        });
        onSend();
        request.end(payload);
      });
    },
    destroy() {
      agent.destroy();
    }
  };
}

/** How long a finished response may keep its socket busy before the bench cuts it. */
const DRAIN_GRACE_MS = 5_000;

/**
 * Calls `onText` with each decoded piece of the body and the time it arrived, until the body ends or
 * `onText` returns true. The rest is then discarded in the background, so the caller's timing ends
 * at once and the socket still goes back to the pool. Resolves with the whole text when `isKept`.
 * @throws RequestFailure `malformed` past `MAX_RESPONSE_BYTES`, `connection` when the body breaks
 *   off; whatever `onText` throws.
 */
export function readBody(
  response: IncomingMessage,
  onText: (text: string, atMs: number) => boolean,
  isKept = false
): Promise<string> {
  const decoder = new TextDecoder();
  let bytes = 0;
  let kept = "";
  return new Promise((resolve, reject) => {
    const stop = (error?: unknown): void => {
      response.removeListener("data", onData);
      response.removeListener("end", onEnd);
      response.removeListener("close", onClose);
      if (error === undefined) {
        discardRest(response);
        resolve(kept);
      } else {
        response.destroy();
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      const atMs = performance.now();
      bytes += chunk.length;
      if (bytes > MAX_RESPONSE_BYTES) {
        stop(new RequestFailure("malformed", `response larger than ${MAX_RESPONSE_BYTES} bytes`));
        return;
      }
      const text = decoder.decode(chunk, {stream: true});
      if (isKept) kept += text;
      try {
        if (onText(text, atMs)) stop();
      } catch (error) {
        stop(error);
      }
    };
    const onEnd = (): void => {
      const text = decoder.decode();
      if (isKept) kept += text;
      try {
        onText(text, performance.now());
        stop();
      } catch (error) {
        stop(error);
      }
    };
    // `close` without `end` means the connection broke off mid-body.
    const onClose = (): void => stop(new RequestFailure("connection", "connection closed before the response ended"));
    response.on("data", onData);
    response.once("end", onEnd);
    response.once("close", onClose);
    // Errors also surface as `close`; this listener only keeps them from being thrown.
    response.on("error", () => undefined);
  });
}

function discardRest(response: IncomingMessage): void {
  if (response.complete) return;
  const timer = setTimeout(() => response.destroy(), DRAIN_GRACE_MS);
  timer.unref();
  response.once("close", () => clearTimeout(timer));
  response.resume();
}

function errorMessage(text: string): string | undefined {
  try {
    const json = JSON.parse(text) as {error?: {message?: unknown} | string};
    const error = json.error;
    if (typeof error === "string") return error;
    if (typeof error?.message === "string") return error.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text === "" ? undefined : text.slice(0, 200);
}
