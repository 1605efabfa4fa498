/**
 * One websocket to our server's `/v1/chat/completions/ws`, routing incoming messages to the request
 * they name (`request_id`). A socket that drops, or sends something that is not JSON, fails every
 * request waiting on it: on a shared socket a broken frame cannot be pinned on one request. Pooling
 * and timing are `wsTransport.ts`'s business.
 */
import WebSocket, {type RawData} from "ws";
import {RequestFailure} from "./RequestFailure.ts";
import {MAX_RESPONSE_BYTES} from "./types.ts";

/** Receives the messages of one request, or the failure that ended its socket. */
export interface WsListener {
  onMessage(message: Record<string, unknown>, atMs: number): void;
  onFailure(failure: RequestFailure): void;
}

/** An open websocket multiplexing requests by `request_id`. */
export class WsConnection {
  readonly #socket: WebSocket;
  readonly #listeners = new Map<string, WsListener>();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on("message", (data) => this.#onMessage(data, performance.now()));
    socket.on("close", (code) => this.#failAll(new RequestFailure("connection", `websocket closed (${code})`)));
    socket.on("error", (error) => this.#failAll(new RequestFailure("connection", error.message)));
  }

  /**
   * Opens a socket to `url`.
   * @throws RequestFailure `http_<status>` when the upgrade is refused, `connection` otherwise.
   */
  static open(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<WsConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {headers, maxPayload: MAX_RESPONSE_BYTES});
      const onAbort = (): void => socket.terminate();
      signal.addEventListener("abort", onAbort, {once: true});
      const settle = (error?: RequestFailure): void => {
        signal.removeEventListener("abort", onAbort);
        socket.removeAllListeners("open");
        socket.removeAllListeners("unexpected-response");
        if (error === undefined) resolve(new WsConnection(socket));
        else {
          socket.removeAllListeners("error");
          // Errors after the failed handshake have nobody left to tell.
          socket.on("error", () => undefined);
          reject(error);
        }
      };
      socket.once("open", () => settle());
      socket.once("error", (error) => settle(new RequestFailure("connection", error.message)));
      socket.once("unexpected-response", (request, response) => {
        response.resume();
        request.destroy();
        settle(new RequestFailure(`http_${response.statusCode ?? 0}`, `websocket upgrade refused (${response.statusCode})`));
      });
    });
  }

  get isOpen(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  /** Sends `{request_id: id, ...body}` and routes the answers to `listener`. */
  request(id: string, body: Record<string, unknown>, listener: WsListener): void {
    this.#listeners.set(id, listener);
    this.#socket.send(JSON.stringify({request_id: id, ...body}));
  }

  /** Stops routing messages of `id` (finished or given up). */
  forget(id: string): void {
    this.#listeners.delete(id);
  }

  /** Closes the socket at once; waiting requests fail as `connection`. */
  close(): void {
    this.#socket.terminate();
  }

  #onMessage(data: RawData, atMs: number): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
    const text = bytes.toString("utf8");
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.#failAll(new RequestFailure("malformed", `unparsable websocket message: ${text.slice(0, 80)}`));
      this.close();
      return;
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      this.#failAll(new RequestFailure("malformed", "websocket message is not a JSON object"));
      this.close();
      return;
    }
    const record = message as Record<string, unknown>;
    const id = record["request_id"];
    // Late messages of a request already given up are expected after a timeout.
    if (typeof id === "string") this.#listeners.get(id)?.onMessage(record, atMs);
  }

  #failAll(failure: RequestFailure): void {
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    for (const listener of listeners) listener.onFailure(failure);
  }
}
