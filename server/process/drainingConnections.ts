/**
 * What connections see while the server shuts down. Every response sent while draining carries
 * `Connection: close`, so clients and proxies that pool connections open their next request on a
 * new one (which a load balancer sends to another replica) instead of reusing this one. When the
 * server finally closes, open websockets are closed with 1001 ("going away"), which tells a client
 * to reconnect rather than report an error. Owns those two courtesies; the order of shutdown is
 * `shutdown.ts`'s.
 */
import type {FastifyInstance} from "fastify";
import type {ModelRegistry} from "../ModelRegistry.ts";

/** RFC 6455: the endpoint is going away (a server going down). */
export const WS_GOING_AWAY = 1001;

export function registerDrainingConnections(app: FastifyInstance, registry: ModelRegistry): void {
  app.addHook("onRequest", async (_request, reply) => {
    if (registry.isDraining) reply.header("connection", "close");
  });
}

/**
 * The websocket plugin's `preClose`: closes every open socket with 1001. By then shutdown has let
 * the sockets' requests finish, so nothing is cut.
 */
export function closeWebsocketsGoingAway(this: FastifyInstance, done: () => void): void {
  for (const client of this.websocketServer.clients) client.close(WS_GOING_AWAY, "the server is shutting down");
  done();
}
