/**
 * One request of the soak, of one of its kinds: a streamed or a whole chat completion read to the
 * end, or one the client abandons (a stream after k chunks, or any request after a few ms). Each
 * ends as one outcome; nothing throws. A response's body is read as it comes and dropped, so the
 * client keeps no more than one event in memory. Owns what one request does and how it is judged.
 */
import {SseParser} from "../transport/SseParser.ts";

export type SoakKind = "stream" | "whole" | "abandonedStream" | "abandonedEarly" | "burst";

/** How a request ended. "aborted" is the client's own doing, as planned; the rest are the server's answer. */
export type SoakOutcome =
  | "ok"
  | "aborted"
  | "rate_limited"
  | "rate_limited_without_retry_after"
  | "client_error"
  | "server_error"
  | "stream_error_event"
  | "incomplete_stream"
  | "network_error"
  | "timeout";

export interface SoakRequestSpec {
  readonly kind: SoakKind;
  readonly isStreamed: boolean;
  readonly prompt: string;
  readonly maxTokens: number;
  /** abandonedStream: leave after this many content chunks. */
  readonly leaveAfterChunks?: number;
  /** abandonedEarly: leave this long after sending. */
  readonly leaveAfterMs?: number;
}

/** No soak request may take longer; one that does is counted as a timeout. */
const REQUEST_TIMEOUT_MS = 120_000;

function statusOutcome(response: Response): SoakOutcome {
  if (response.status === 429) return response.headers.get("retry-after") === null ? "rate_limited_without_retry_after" : "rate_limited";
  return response.status >= 500 ? "server_error" : "client_error";
}

export async function runSoakRequest(baseUrl: string, spec: SoakRequestSpec): Promise<SoakOutcome> {
  const {isStreamed} = spec;
  const controller = new AbortController();
  const leaveTimer = spec.leaveAfterMs === undefined ? undefined : setTimeout(() => controller.abort("leave"), spec.leaveAfterMs);
  const deadline = setTimeout(() => controller.abort("timeout"), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify({messages: [{role: "user", content: spec.prompt}], max_tokens: spec.maxTokens, stream: isStreamed}),
      signal: controller.signal
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      return statusOutcome(response);
    }
    if (!isStreamed) {
      const body = (await response.json()) as {choices?: unknown[]};
      return Array.isArray(body.choices) ? "ok" : "incomplete_stream";
    }
    return await readStream(response, controller, spec.leaveAfterChunks ?? Infinity);
  } catch {
    if (controller.signal.aborted) return controller.signal.reason === "timeout" ? "timeout" : "aborted";
    return "network_error";
  } finally {
    clearTimeout(leaveTimer);
    clearTimeout(deadline);
  }
}

async function readStream(response: Response, controller: AbortController, leaveAfterChunks: number): Promise<SoakOutcome> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let numChunks = 0;
  for await (const bytes of response.body!) {
    for (const data of parser.push(decoder.decode(bytes as Uint8Array, {stream: true}))) {
      if (data === "[DONE]") return "ok";
      if (data.startsWith("{\"error\"")) return "stream_error_event";
      if (++numChunks > leaveAfterChunks) {
        controller.abort("leave");
        return "aborted";
      }
    }
  }
  return "incomplete_stream";
}
