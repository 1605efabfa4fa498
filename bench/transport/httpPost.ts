/**
 * Sends one POST with node:http(s) and hands back a 2xx response, or throws a `RequestFailure`
 * carrying the HTTP status. node:http rather than fetch because fetch's web streams add several
 * milliseconds of client-side delay to every response on a busy machine, and that delay would be
 * reported as server latency. Shared by the SSE and non-streaming transports; reading the body is
 * `readBody.ts`'s job.
 *
 * Servers close idle keep-alive connections (llama.cpp's server among them). A request written on a
 * pooled socket just as the server closed it ends in "socket hang up" before any byte of a response:
 * the server never handled it. Such a request is re-sent once on a fresh connection of its own, and
 * the caller is told, so the report can count it apart. Any other failure, and a failure of the
 * re-sent request, is final.
 */
import http, {type Agent, type IncomingMessage, type RequestOptions} from "node:http";
import https from "node:https";
import type {Socket} from "node:net";
import {errorMessage, readBody} from "./readBody.ts";
import {RequestFailure} from "./RequestFailure.ts";
import {endpointPath, requestHeaders} from "./requestBody.ts";
import type {TransportContext} from "./types.ts";

/** What the client tells about one request while sending it. */
export interface SendEvents {
  /** Right before the request is written, the first time and again when it is re-sent: its send time. */
  start(): void;
  /** The pooled connection was closed under the request, which is now re-sent on a fresh one. */
  markRetriedOnFreshConnection(): void;
}

/** Keep-alive connections of one transport to its target's endpoint; `destroy` closes them all. */
export interface HttpClient {
  /**
   * POSTs `body` as JSON with `x-request-id: requestId` and `headers`; resolves once the response headers arrived.
   * @throws RequestFailure `http_<status>` on a non-2xx answer, with the server's error message;
   *   the error of node:http (connection, abort) otherwise.
   */
  post(requestId: string, body: unknown, signal: AbortSignal, events: SendEvents, headers?: Readonly<Record<string, string>>): Promise<IncomingMessage>;
  destroy(): void;
}

/** A client whose connections are kept alive between requests, without a limit on their number. */
export function createHttpClient(context: TransportContext): HttpClient {
  const url = `${context.target.url}${endpointPath(context.config.endpoint)}`;
  const headers = requestHeaders(context);
  const isHttps = url.startsWith("https:");
  const agent = isHttps ? new https.Agent({keepAlive: true}) : new http.Agent({keepAlive: true});
  return {
    async post(requestId, body, signal, events, extraHeaders = {}) {
      const payload = Buffer.from(JSON.stringify(body));
      const options: RequestOptions = {
        method: "POST",
        signal,
        headers: {...headers, ...extraHeaders, "x-request-id": requestId, "content-length": String(payload.length)}
      };
      const send = (via: Agent | false): Promise<IncomingMessage> =>
        postOnce(() => (isHttps ? https : http).request(url, {...options, agent: via}), payload, events);
      try {
        return await send(agent);
      } catch (error) {
        if (!(error instanceof ClosedPooledConnection)) throw error;
        events.markRetriedOnFreshConnection();
        // No agent: a connection of its own, which no other request can have left stale.
        return send(false);
      }
    },
    destroy() {
      agent.destroy();
    }
  };
}

/** A pooled socket that the server closed before any byte of the response arrived. */
class ClosedPooledConnection extends Error {
  constructor(cause: Error) {
    super(cause.message, {cause});
    this.name = "ClosedPooledConnection";
  }
}

function postOnce(open: () => http.ClientRequest, payload: Buffer, events: SendEvents): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = open();
    let assigned: {readonly socket: Socket; readonly bytesReadBefore: number} | undefined;
    request.once("socket", (socket: Socket) => {
      assigned = {socket, bytesReadBefore: socket.bytesRead};
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      const isClosedUnderUs =
        request.reusedSocket &&
        assigned !== undefined &&
        assigned.socket.bytesRead === assigned.bytesReadBefore &&
        (error.code === "ECONNRESET" || error.code === "EPIPE");
      reject(isClosedUnderUs ? new ClosedPooledConnection(error) : error);
    });
    request.once("response", (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        resolve(response);
        return;
      }
      readBody(response, () => false, true).then(
        (text) => reject(new RequestFailure(`http_${status}`, errorMessage(text) ?? `HTTP ${status}`)),
        () => reject(new RequestFailure(`http_${status}`, `HTTP ${status}`))
      );
    });
    events.start();
    request.end(payload);
  });
}
