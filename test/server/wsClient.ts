/**
 * A test client of the chat websocket: one socket, messages sorted by `request_id` as they arrive
 * (plus the arrival order of all of them, to see interleaving), and helpers that wait for a request's
 * terminal message ("done" or "error") or for its n-th chunk.
 */
import WebSocket from "ws";
import {eventually} from "../utils/eventually.ts";

export type WsMessage = Record<string, unknown> & {
  request_id: string | null;
  type?: string;
  id?: string;
  choices?: {delta?: {content?: string; role?: string}; finish_reason: string | null}[];
  usage?: Record<string, unknown> | null;
  timings?: Record<string, unknown>;
  error?: {message: string; type: string; param: string | null; code: string | null};
  status?: number;
};

export class WsTestClient {
  /** Every message received, in order. */
  readonly received: WsMessage[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => this.received.push(JSON.parse(data.toString()) as WsMessage));
  }

  static async open(baseUrl: string): Promise<WsTestClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/chat/completions/ws`);
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    return new WsTestClient(socket);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Messages of one request, in order (null: untagged errors). */
  messagesOf(requestId: string | null): WsMessage[] {
    return this.received.filter((message) => message.request_id === requestId);
  }

  /** Chunk messages (not "done"/"error") of one request. */
  chunksOf(requestId: string): WsMessage[] {
    return this.messagesOf(requestId).filter((message) => message.type === undefined);
  }

  /** Text of a request's chunks, concatenated. */
  textOf(requestId: string): string {
    return this.chunksOf(requestId).map((chunk) => chunk.choices?.[0]?.delta?.content ?? "").join("");
  }

  /** Resolves with what `read` finds in the messages received, once it finds something. */
  until<T>(read: () => T | undefined, what = "the awaited message"): Promise<T> {
    return eventually(() => `${what}; the last messages received: ${JSON.stringify(this.received.slice(-3))}`, read);
  }

  /** The request's terminal message ("done" or "error"). */
  terminal(requestId: string | null): Promise<WsMessage> {
    return this.until(() => this.messagesOf(requestId).find((message) => message.type === "done" || message.type === "error"), `the terminal message of ${requestId}`);
  }

  /** Waits for the request's `count`-th content chunk. */
  async contentChunks(requestId: string, count: number): Promise<void> {
    await this.until(() => (this.chunksOf(requestId).filter((chunk) => chunk.choices?.[0]?.delta?.content).length >= count ? true : undefined),
      `content chunk ${count} of ${requestId}`);
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once("close", resolve));
    this.socket.close();
    await closed;
  }
}
