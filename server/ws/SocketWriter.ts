/**
 * Sends a websocket's messages without letting a slow reader grow the server's memory: while the
 * socket's buffered amount (bytes queued in userland, not yet handed to the kernel) is over a mark,
 * each send waits until its message has been flushed. The request doing the send is paused with it;
 * its tokens wait in its generation stream, bounded by its own max tokens, as over SSE. Other
 * requests on the same socket are paused too as soon as they send: they share the one buffer.
 * Owns the buffering rule only; what is sent is the caller's.
 */
import type {WebSocket} from "ws";

/** Past this many buffered bytes a send waits for its flush: a few hundred chunks, about 64 KiB. */
export const DEFAULT_HIGH_WATER_BYTES = 64 * 1024;

/** WebSocket.OPEN, without importing the runtime module for one constant. */
const OPEN = 1;

export class SocketWriter {
  private readonly closed: Promise<void>;

  constructor(private readonly socket: WebSocket, private readonly highWaterBytes = DEFAULT_HIGH_WATER_BYTES) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  /**
   * Sends `text`. Resolves at once while the buffer is under the mark; past it, once this message
   * has been flushed to the kernel or the socket has closed. Sending on a closed socket does nothing.
   */
  async send(text: string): Promise<void> {
    if (!this.isOpen) return;
    if (this.socket.bufferedAmount < this.highWaterBytes) {
      this.socket.send(text);
      return;
    }
    const flushed = new Promise<void>((resolve) => this.socket.send(text, () => resolve()));
    await Promise.race([flushed, this.closed]);
  }
}
