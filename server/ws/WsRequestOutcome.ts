/**
 * How one websocket request ended, reported once, as `requestHooks.ts` reports an HTTP request: counted
 * in `http_requests_total` under the websocket's route with the status the same outcome gets over HTTP
 * (200, 4xx, 429, 500; 499 when the client cancelled or closed the socket first), and handed to the
 * request's completion trace, which writes its "request finished" line; a request refused before it
 * had a trace (a bad body, an unknown model) gets a "request rejected" line instead. Owns the report;
 * deciding the status is `ChatSocket.ts`'s.
 */
import type {FastifyBaseLogger} from "fastify";
import {type CompletionInfo, CompletionTrace, type CompletionTracker} from "../metrics/CompletionTrace.ts";
import type {ServerMetrics} from "../metrics/ServerMetrics.ts";

/** The route label of every request made over the chat websocket. */
export const WS_ROUTE = "/v1/chat/completions/ws";

export interface OutcomeDeps {
  readonly tracker: CompletionTracker;
  readonly metrics: ServerMetrics | null;
}

export class WsRequestOutcome {
  private trace: CompletionTrace | null = null;
  private isEnded = false;
  private readonly log: FastifyBaseLogger;

  /** `log` is the socket's logger (its upgrade's `reqId`); lines add the client's `request_id`. */
  constructor(private readonly deps: OutcomeDeps, log: FastifyBaseLogger, private readonly requestId: string) {
    this.log = log.child({clientRequestId: requestId});
  }

  /** The request's trace, not tied to the socket's HTTP request: a socket carries many requests. */
  startTrace(info: CompletionInfo): CompletionTrace {
    this.trace = new CompletionTrace(this.log, info, this.deps.tracker.isPromptLogged);
    return this.trace;
  }

  /** Reports the end; later calls are ignored. */
  end(statusCode: number): void {
    if (this.isEnded) return;
    this.isEnded = true;
    const {trace} = this;
    this.deps.metrics?.countResponse({
      route: WS_ROUTE,
      statusCode,
      modelName: trace?.info.modelName ?? "",
      variant: trace?.info.variant ?? ""
    });
    if (trace) trace.end(statusCode);
    else if (statusCode >= 400) this.log.info({url: WS_ROUTE, status: statusCode}, "request rejected");
  }
}
