/**
 * `GET /v1/chat/completions/ws`: the chat completions websocket (protocol in `ws/protocol.ts`, one
 * `ChatSocket` per connection). The upgrade is an ordinary fastify request under `/v1`, so every
 * `onRequest` hook (request id, API keys) runs before a socket is opened; a plain GET
 * without the upgrade gets 426 in OpenAI's error shape. A `?session=` on the upgrade URL is the
 * socket's session key when no `x-session-id` header came (browsers cannot set one). Register it
 * inside the @fastify/websocket plugin's scope (after the plugin), as the plugin requires.
 */
import type {FastifyInstance, FastifyRequest} from "fastify";
import type {WebSocket} from "ws";
import {ApiError} from "../errors.ts";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import type {ServerMetrics} from "../metrics/ServerMetrics.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {withSessionFromQuery} from "../session/sessionKey.ts";
import {ChatSocket} from "../ws/ChatSocket.ts";
import {WS_ROUTE} from "../ws/WsRequestOutcome.ts";

export interface ChatWsDeps {
  readonly registry: ModelRegistry;
  readonly tracker: CompletionTracker;
  readonly metrics: ServerMetrics | null;
}

export function registerChatCompletionsWs(app: FastifyInstance, deps: ChatWsDeps): void {
  app.route({
    method: "GET",
    url: WS_ROUTE,
    handler: async (_request, reply) => {
      const error = new ApiError(426, "this endpoint speaks websocket only; send an upgrade request", "invalid_request_error",
        null, "upgrade_required");
      return reply.code(426).header("upgrade", "websocket").send(error.toBody());
    },
    wsHandler: (socket, request) => {
      new ChatSocket(socket, {...deps, log: request.log, headers: withSessionFromQuery(request.headers, request.url)});
    }
  });
}

/**
 * The plugin's handler for errors on an open socket: invalid frames, a message over the size limit,
 * a connection reset. They are the client's doing, so a warning rather than the plugin's error line;
 * the socket is dropped, and its requests end as when it closes.
 */
export function onWebsocketError(error: Error, socket: WebSocket, request: FastifyRequest): void {
  request.log.warn({err: error}, "websocket dropped on error");
  socket.terminate();
}
