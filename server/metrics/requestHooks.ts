/**
 * The hooks every HTTP request goes through, for observability: its arrival time (the start of its
 * time to first token, before body parsing and tokenization), an `x-request-id` response header, and
 * its end, counted once by status code (when metrics are on) and reported to its completion trace
 * (which writes the line of a completion request); other requests get a line only when they fail.
 * Owns noticing how a request ended; what a completion's line says is `CompletionTrace.ts`'s.
 *
 * A request ends in one of two ways. Fastify's onResponse hook sees every finished response, streamed
 * ones included: a hijacked SSE reply still fires it when `raw.end()` completes. A client that closes
 * the connection first never gets there; the raw socket's "close" catches it, and it counts as 499
 * (nginx's "client closed request"), whatever status was already sent. A websocket upgrade counts
 * once, as 101, when its socket closes.
 */
import type {FastifyInstance, FastifyRequest} from "fastify";
import type {CompletionTrace} from "./CompletionTrace.ts";
import type {ServerMetrics} from "./ServerMetrics.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** `performance.now()` when the request arrived: the origin of its queue time and TTFT. */
    arrivalMs: number;
    /** Set by the completion routes once they know which model serves the request. */
    completion: CompletionTrace | null;
  }
}

export const CLIENT_CLOSED_REQUEST = 499;
const SWITCHING_PROTOCOLS = 101;

export function registerRequestHooks(app: FastifyInstance, metrics: ServerMetrics | null): void {
  app.decorateRequest("arrivalMs", 0);
  app.decorateRequest("completion", null);
  const ended = new WeakSet<FastifyRequest>();
  const end = (request: FastifyRequest, statusCode: number): void => {
    if (ended.has(request)) return;
    ended.add(request);
    const trace = request.completion;
    metrics?.countResponse({
      route: request.routeOptions.url ?? "unmatched",
      statusCode,
      modelName: trace?.info.modelName ?? "",
      variant: trace?.info.variant ?? ""
    });
    if (trace) trace.end(statusCode);
    else if (statusCode >= 400) request.log.info({method: request.method, url: request.url, status: statusCode}, "request rejected");
  };
  app.addHook("onRequest", async (request, reply) => {
    request.arrivalMs = performance.now();
    reply.header("x-request-id", request.id);
    reply.raw.once("close", () => {
      // An upgraded websocket is an answered request (101) that lives until its socket closes; the
      // requests made over it are counted one by one (`ws/WsRequestOutcome.ts`).
      if (request.ws) end(request, SWITCHING_PROTOCOLS);
      else if (!reply.raw.writableFinished) end(request, CLIENT_CLOSED_REQUEST);
    });
  });
  app.addHook("onResponse", async (request, reply) => end(request, reply.statusCode));
}
