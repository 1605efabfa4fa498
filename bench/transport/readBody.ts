/**
 * Reads a response body under the size bound, timestamping each piece in the `data` handler itself
 * (a later timestamp would charge the client's own delays to the server), and lets the caller stop
 * early while the socket still goes back to the pool. Shared by the SSE and non-streaming
 * transports; interpreting the text is theirs.
 */
import type {IncomingMessage} from "node:http";
import {RequestFailure} from "./RequestFailure.ts";
import {MAX_RESPONSE_BYTES} from "./types.ts";

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

/** The server's error message in an error body (OpenAI's shape, a bare string, or the raw text). */
export function errorMessage(text: string): string | undefined {
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
