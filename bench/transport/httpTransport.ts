/**
 * What the SSE and non-streaming transports share: each request is one POST on a pooled
 * keep-alive connection, carried under its deadline; only reading the 2xx response differs, and
 * that is left to the transport.
 */
import type {IncomingMessage} from "node:http";
import type {RequestResult} from "../types.ts";
import {createHttpClient} from "./httpPost.ts";
import type {RequestRecorder} from "./RequestRecorder.ts";
import {buildRequestBody, sessionHeaders} from "./requestBody.ts";
import {sendWithDeadline} from "./sendWithDeadline.ts";
import type {Transport, TransportContext} from "./types.ts";

/** Reads a 2xx response into the request's result; throws a `RequestFailure` when it does not hold one. */
export type ResponseReader = (response: IncomingMessage, recorder: RequestRecorder) => Promise<RequestResult>;

/** A transport POSTing `stream: isStreaming` requests to `context.target`, each response read by `readResponse`. */
export function createHttpTransport(context: TransportContext, isStreaming: boolean, readResponse: ResponseReader): Transport {
  const client = createHttpClient(context);
  return {
    send: (spec, roundStartMs, signal) =>
      sendWithDeadline({spec, roundStartMs, signal}, context, isStreaming, async (recorder, deadlineSignal) => {
        const body = buildRequestBody(spec, context, isStreaming);
        const response = await client.post(spec.id, body, deadlineSignal, recorder, sessionHeaders(spec, context));
        return readResponse(response, recorder);
      }),
    async close() {
      client.destroy();
    }
  };
}
