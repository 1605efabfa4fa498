/**
 * Sends one POST with node:http(s) and hands back a 2xx response, or throws a `RequestFailure`
 * carrying the HTTP status. node:http rather than fetch because fetch's web streams add several
 * milliseconds of client-side delay to every response on a busy machine, and that delay would be
 * reported as server latency. Shared by the SSE and non-streaming transports; reading the body is
 * `readBody.ts`'s job.
 */
import http, {type IncomingMessage} from "node:http";
import https from "node:https";
import {errorMessage, readBody} from "./readBody.ts";
import {RequestFailure} from "./RequestFailure.ts";
import {endpointPath, requestHeaders} from "./requestBody.ts";
import type {TransportContext} from "./types.ts";

/** Keep-alive connections of one transport to its target's endpoint; `destroy` closes them all. */
export interface HttpClient {
  /**
   * POSTs `body` as JSON with `x-request-id: requestId`; resolves once the response headers arrived.
   * @param onSend called right before the request is written, to mark the send time.
   * @throws RequestFailure `http_<status>` on a non-2xx answer, with the server's error message;
   *   the error of node:http (connection, abort) otherwise.
   */
  post(requestId: string, body: unknown, signal: AbortSignal, onSend: () => void): Promise<IncomingMessage>;
  destroy(): void;
}

/** A client whose connections are kept alive between requests, without a limit on their number. */
export function createHttpClient(context: TransportContext): HttpClient {
  const url = `${context.target.url}${endpointPath(context.config.endpoint)}`;
  const headers = requestHeaders(context);
  const isHttps = url.startsWith("https:");
  const agent = isHttps ? new https.Agent({keepAlive: true}) : new http.Agent({keepAlive: true});
  return {
    post(requestId, body, signal, onSend) {
      const payload = Buffer.from(JSON.stringify(body));
      return new Promise((resolve, reject) => {
        const options = {
          method: "POST",
          agent,
          signal,
          headers: {...headers, "x-request-id": requestId, "content-length": String(payload.length)}
        };
        const request = isHttps ? https.request(url, options) : http.request(url, options);
        request.on("error", reject);
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
        onSend();
        request.end(payload);
      });
    },
    destroy() {
      agent.destroy();
    }
  };
}
