/**
 * The non-streaming transport: one JSON response per request (`stream: false`). With nothing to
 * time in between, TTFT equals E2E, ITL is empty and TPOT is not defined; output tokens come from
 * `usage`, else from the bench's tokenizer over the returned text.
 */
import {readChunk} from "./chunk.ts";
import {RequestDeadline} from "./deadline.ts";
import {createHttpClient, readBody} from "./httpPost.ts";
import {RequestFailure, classifyError} from "./RequestFailure.ts";
import {RequestRecorder} from "./RequestRecorder.ts";
import {buildRequestBody, endpointPath, requestHeaders} from "./requestBody.ts";
import type {Transport, TransportContext} from "./types.ts";

/** A transport sending `stream: false` requests to `context.target`. */
export function createNonStreamTransport(context: TransportContext): Transport {
  const url = `${context.target.url}${endpointPath(context.config.endpoint)}`;
  const headers = requestHeaders(context);
  const client = createHttpClient(context.target.url);
  return {
    async send(spec, roundStartMs, signal) {
      const recorder = new RequestRecorder(spec, context.counter, roundStartMs, false);
      const deadline = new RequestDeadline(context.config.timeoutMs, signal);
      try {
        const body = buildRequestBody(spec, context, false);
        const response = await client.post(url, body, {...headers, "x-request-id": spec.id}, deadline.signal, () => recorder.start());
        let endAtMs = performance.now();
        const text = await readBody(
          response,
          (piece, atMs) => {
            // The response is complete when its last byte arrives, not at the later `end` event.
            if (piece !== "") endAtMs = atMs;
            return false;
          },
          true
        );
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw new RequestFailure("malformed", `unparsable response: ${text.slice(0, 80)}`);
        }
        const chunk = readChunk(json, context.config.endpoint);
        if (chunk.error !== undefined) throw new RequestFailure("server_error", chunk.error);
        if (chunk.content !== undefined) recorder.content(chunk.content, endAtMs);
        if (chunk.usage !== undefined) recorder.usage(chunk.usage);
        return recorder.finish(endAtMs);
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

