/**
 * The fake server's way of closing keep-alive connections, as llama.cpp's server does with idle
 * ones: a connection is closed `closeMs` after its response has ended. A client that reuses the
 * pooled socket in that window meets the close: its request is dropped unanswered, before any byte
 * of a response, exactly as when a real server's close crosses the client's next request on the
 * wire. The closer counts those requests, so a test can compare them with what the bench re-sent.
 */
import type {IncomingMessage, ServerResponse} from "node:http";
import type {Socket} from "node:net";

/** Closes each connection after one response and drops requests that arrive on it meanwhile. */
export class KeepAliveCloser {
  #numHangUps = 0;
  readonly #closing = new WeakSet<Socket>();

  constructor(private readonly closeMs: number) {}

  /** Requests dropped because they arrived on a connection the fake was closing. */
  get numHangUps(): number {
    return this.#numHangUps;
  }

  /**
   * Admits `req` unless its connection is closing: then the connection is destroyed at once and
   * false returned. An admitted request's connection is closed `closeMs` after `res` ends.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket;
    if (this.#closing.has(socket)) {
      this.#numHangUps++;
      socket.destroy();
      return false;
    }
    res.once("finish", () => {
      this.#closing.add(socket);
      // `end` rather than `destroy`: a request already on its way is still read, and counted.
      setTimeout(() => socket.end(), this.closeMs).unref();
    });
    return true;
  }
}
