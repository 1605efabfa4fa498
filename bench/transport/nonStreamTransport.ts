/**
 * The non-streaming transport: one JSON response per request (`stream: false`). With nothing to
 * time in between, TTFT equals E2E, ITL is empty and TPOT is not defined; output tokens come from
 * `usage`, else from the bench's tokenizer over the returned text.
 */
import {readChunk} from "./chunk.ts";
import {createHttpTransport} from "./httpTransport.ts";
import {readBody} from "./readBody.ts";
import {RequestFailure} from "./RequestFailure.ts";
import type {Transport, TransportContext} from "./types.ts";

/** A transport sending `stream: false` requests to `context.target`. */
export function createNonStreamTransport(context: TransportContext): Transport {
  return createHttpTransport(context, false, async (response, recorder) => {
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
    const chunk = readChunk(parseJson(text), context.config.endpoint);
    if (chunk.error !== undefined) throw new RequestFailure("server_error", chunk.error);
    if (chunk.content !== undefined) recorder.content(chunk.content, endAtMs);
    if (chunk.usage !== undefined) recorder.usage(chunk.usage);
    return recorder.finish(endAtMs);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestFailure("malformed", `unparsable response: ${text.slice(0, 80)}`);
  }
}
