/**
 * The SSE transport: OpenAI streaming over HTTP (`stream: true`, `include_usage`). Content chunks
 * are timed when their bytes are read, so events that arrive in one read share a timestamp, as
 * they would for any client. The response ends at `data: [DONE]`; a stream that closes without it
 * still counts as complete when a finish reason was seen (some servers omit `[DONE]`).
 */
import {parseChunk} from "./chunk.ts";
import {RequestDeadline} from "./deadline.ts";
import {createHttpClient, readBody} from "./httpPost.ts";
import {RequestFailure, classifyError} from "./RequestFailure.ts";
import {RequestRecorder} from "./RequestRecorder.ts";
import {buildRequestBody, endpointPath, requestHeaders} from "./requestBody.ts";
import {SseParser} from "./SseParser.ts";
import type {Transport, TransportContext} from "./types.ts";

/** A transport speaking OpenAI SSE to `context.target`. */
export function createSseTransport(context: TransportContext): Transport {
  const url = `${context.target.url}${endpointPath(context.config.endpoint)}`;
  const headers = requestHeaders(context);
  const client = createHttpClient(context.target.url);
  return {
    async send(spec, roundStartMs, signal) {
      const recorder = new RequestRecorder(spec, context.counter, roundStartMs, true);
      const deadline = new RequestDeadline(context.config.timeoutMs, signal);
      const body = buildRequestBody(spec, context, true);
      const parser = new SseParser();
      let doneAtMs: number | undefined;
      const handle = (payloads: readonly string[], atMs: number): boolean => {
        for (const payload of payloads) {
          if (payload.trim() === "[DONE]") {
            doneAtMs = atMs;
            return true;
          }
          const chunk = parseChunk(payload, context.config.endpoint);
          if (chunk.error !== undefined) throw new RequestFailure("server_error", chunk.error);
          if (chunk.content !== undefined) recorder.content(chunk.content, atMs);
          if (chunk.usage !== undefined) recorder.usage(chunk.usage);
          if (chunk.finishReason !== undefined) recorder.finishReason(chunk.finishReason);
        }
        return false;
      };
      try {
        const response = await client.post(url, body, {...headers, "x-request-id": spec.id}, deadline.signal, () => recorder.start());
        let endAtMs = performance.now();
        await readBody(response, (text, atMs) => {
          endAtMs = atMs;
          return handle(parser.push(text), atMs);
        });
        if (doneAtMs === undefined) handle(parser.end(), endAtMs);
        if (doneAtMs === undefined && !recorder.hasFinishReason) {
          throw new RequestFailure("incomplete", "stream ended without [DONE] or a finish reason");
        }
        return recorder.finish(doneAtMs ?? endAtMs);
      } catch (error) {
        const failure = classifyError(error, deadline);
        return recorder.fail(failure.type, failure.message, performance.now());
      } finally {
        deadline.dispose();
      }
    },
    async close() {
      client.destroy();
    }
  };
}
