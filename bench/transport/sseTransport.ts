/**
 * The SSE transport: OpenAI streaming over HTTP (`stream: true`, `include_usage`). Content chunks
 * are timed when their bytes are read, so events that arrive in one read share a timestamp, as
 * they would for any client. The response ends at `data: [DONE]`; a stream that closes without it
 * still counts as complete when a finish reason was seen (some servers omit `[DONE]`).
 */
import {parseChunk} from "./chunk.ts";
import {createHttpTransport} from "./httpTransport.ts";
import {readBody} from "./readBody.ts";
import {RequestFailure} from "./RequestFailure.ts";
import type {RequestRecorder} from "./RequestRecorder.ts";
import {SseParser} from "./SseParser.ts";
import type {Transport, TransportContext} from "./types.ts";
import type {RequestResult} from "../types.ts";

/** A transport speaking OpenAI SSE to `context.target`. */
export function createSseTransport(context: TransportContext): Transport {
  return createHttpTransport(context, true, async (response, recorder) => {
    const stream = new EventStream(recorder, context);
    let endAtMs = performance.now();
    await readBody(response, (text, atMs) => {
      endAtMs = atMs;
      return stream.push(text, atMs);
    });
    return stream.finish(endAtMs);
  });
}

/** Feeds one response's events to its recorder and knows when the stream is over. */
class EventStream {
  readonly #parser = new SseParser();
  #doneAtMs: number | undefined;

  constructor(
    private readonly recorder: RequestRecorder,
    private readonly context: TransportContext
  ) {}

  /** Handles the events completed by `text`; true once `[DONE]` arrived. */
  push(text: string, atMs: number): boolean {
    return this.#handle(this.#parser.push(text), atMs);
  }

  /**
   * The result of a body that ended at `endAtMs` (or earlier, at `[DONE]`).
   * @throws RequestFailure `incomplete` without `[DONE]` or a finish reason.
   */
  finish(endAtMs: number): RequestResult {
    if (this.#doneAtMs === undefined) this.#handle(this.#parser.end(), endAtMs);
    if (this.#doneAtMs === undefined && !this.recorder.hasFinishReason) {
      throw new RequestFailure("incomplete", "stream ended without [DONE] or a finish reason");
    }
    return this.recorder.finish(this.#doneAtMs ?? endAtMs);
  }

  #handle(payloads: readonly string[], atMs: number): boolean {
    for (const payload of payloads) {
      if (payload.trim() === "[DONE]") {
        this.#doneAtMs = atMs;
        return true;
      }
      const chunk = parseChunk(payload, this.context.config.endpoint);
      if (chunk.error !== undefined) throw new RequestFailure("server_error", chunk.error);
      if (chunk.content !== undefined) this.recorder.content(chunk.content, atMs);
      if (chunk.usage !== undefined) this.recorder.usage(chunk.usage);
      if (chunk.finishReason !== undefined) this.recorder.finishReason(chunk.finishReason);
    }
    return false;
  }
}
