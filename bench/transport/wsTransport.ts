/**
 * The websocket transport of our server: `{request_id, ...body}` out; chunk objects tagged with the
 * `request_id`, then `{type: "done", usage?}` or `{type: "error", error}` back. Each concurrent
 * request holds a socket of its own from a pool, so a closed loop of C workers opens C sockets and
 * reuses them; the handshake happens before the send time, so it is never part of TTFT. A socket
 * whose request failed is closed rather than reused: the server may still be writing to it.
 */
import {readChunk, readUsage} from "./chunk.ts";
import {RequestFailure} from "./RequestFailure.ts";
import type {RequestRecorder} from "./RequestRecorder.ts";
import {buildRequestBody, requestHeaders} from "./requestBody.ts";
import {sendWithDeadline} from "./sendWithDeadline.ts";
import type {Transport, TransportContext} from "./types.ts";
import {WsConnection} from "./WsConnection.ts";
import type {RequestResult} from "../types.ts";

/** The websocket URL of a target: `http(s)://host/base` becomes `ws(s)://host/base/v1/chat/completions/ws`. */
export function websocketUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, "ws")}/v1/chat/completions/ws`;
}

/** A transport speaking our websocket protocol to `context.target`. */
export function createWsTransport(context: TransportContext): Transport {
  const url = websocketUrl(context.target.url);
  const {authorization} = requestHeaders(context);
  const headers: Record<string, string> = authorization === undefined ? {} : {authorization};
  const idle: WsConnection[] = [];
  const all = new Set<WsConnection>();

  const acquire = async (signal: AbortSignal): Promise<WsConnection> => {
    for (let connection = idle.pop(); connection !== undefined; connection = idle.pop()) {
      if (connection.isOpen) return connection;
      all.delete(connection);
    }
    const connection = await WsConnection.open(url, headers, signal);
    all.add(connection);
    return connection;
  };

  const exchange = (connection: WsConnection, recorder: RequestRecorder, id: string, body: Record<string, unknown>, signal: AbortSignal) =>
    new Promise<RequestResult>((resolve, reject) => {
      const onAbort = (): void => reject(new RequestFailure("aborted", "aborted"));
      signal.addEventListener("abort", onAbort, {once: true});
      const settle = (result: RequestResult | RequestFailure): void => {
        signal.removeEventListener("abort", onAbort);
        connection.forget(id);
        if (result instanceof RequestFailure) reject(result);
        else resolve(result);
      };
      recorder.start();
      connection.request(id, body, {
        onMessage(message, atMs) {
          try {
            if (message["type"] === "done") {
              const usage = readUsage(message["usage"]);
              if (usage !== undefined) recorder.usage(usage);
              settle(recorder.finish(atMs));
              return;
            }
            if (message["type"] === "error") {
              const {error} = readChunk({error: message["error"] ?? "error"}, "chat");
              settle(new RequestFailure("server_error", error ?? "error"));
              return;
            }
            const chunk = readChunk(message, "chat");
            if (chunk.error !== undefined) {
              settle(new RequestFailure("server_error", chunk.error));
              return;
            }
            if (chunk.content !== undefined) recorder.content(chunk.content, atMs);
            if (chunk.usage !== undefined) recorder.usage(chunk.usage);
            if (chunk.finishReason !== undefined) recorder.finishReason(chunk.finishReason);
          } catch (error) {
            settle(error instanceof RequestFailure ? error : new RequestFailure("malformed", String(error)));
          }
        },
        onFailure: settle
      });
    });

  return {
    send: (spec, roundStartMs, signal) =>
      sendWithDeadline({spec, roundStartMs, signal}, context, true, async (recorder, deadlineSignal) => {
        const connection = await acquire(deadlineSignal);
        try {
          const result = await exchange(connection, recorder, spec.id, buildRequestBody(spec, context, true), deadlineSignal);
          idle.push(connection);
          return result;
        } catch (error) {
          connection.close();
          throw error;
        }
      }),
    async close() {
      for (const connection of all) connection.close();
      all.clear();
      idle.length = 0;
    }
  };
}
