/**
 * A fake OpenAI-compatible server for the bench's tests, on 127.0.0.1 port 0 only. It follows a
 * token script (`fakeScript.ts`) with sub-millisecond precision, records when each content chunk
 * was actually written, and misbehaves on chosen requests. Speaks SSE, non-streaming JSON and our
 * websocket protocol, serves Prometheus `/metrics` and `/v1/models`, and can close keep-alive
 * connections after each response as llama.cpp's server does. It runs in the test's own process: on a
 * busy machine one process is scheduled more predictably than two that must wake each other.
 */
import {createServer, type IncomingMessage, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {WebSocketServer, type WebSocket} from "ws";
import {
  chunkDueMs,
  chunkPlan,
  errorBody,
  metricsText,
  modelList,
  sleepUntil,
  streamChunk,
  usageOf,
  wholeResponse,
  type Fault,
  type TokenScript
} from "./fakeScript.ts";
import {KeepAliveCloser} from "./keepAliveCloser.ts";

/** One request as the server saw and answered it. */
export interface ReceivedRequest {
  /** Order of arrival; a request re-sent after the fake dropped it unanswered keeps its index. */
  readonly index: number;
  /** `x-request-id` header or websocket `request_id`. */
  readonly requestId: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly receivedAtMs: number;
  /** The `x-session-id` header of an HTTP request, when it came with one. */
  readonly sessionHeader?: string;
  readonly contentSentAtMs: number[];
  readonly fault?: Fault;
}

/** How the fake server behaves. */
export interface FakeServerOptions {
  readonly script: TokenScript;
  /**
   * Faults by index of the request received (0-based, all transports, warm-up included). A
   * request re-sent after `dropBeforeHeaders` keeps its index, so it is dropped again.
   */
  readonly faults?: Readonly<Record<number, Fault>>;
  /** Serves `/metrics` (default true). */
  readonly hasMetrics?: boolean;
  /** What `GET /v1/models` lists, in order (default: one model, `fake`). */
  readonly models?: readonly string[];
  /**
   * Closes each HTTP connection this long after its response, dropping requests that arrive on it
   * meanwhile (`keepAliveCloser.ts`); absent, connections stay open.
   */
  readonly keepAliveCloseMs?: number;
}

/** A running fake server. */
export interface FakeServer {
  readonly url: string;
  readonly requests: readonly ReceivedRequest[];
  /** Successful requests and their tokens, as `/metrics` reports them. */
  readonly counters: {readonly requests: number; readonly tokens: number};
  /** Requests dropped because they arrived on a connection the fake was closing (`keepAliveCloseMs`). */
  readonly numKeepAliveHangUps: number;
  close(): Promise<void>;
}

/** Starts a fake server on 127.0.0.1 with an ephemeral port. */
export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const {script} = options;
  const requests: ReceivedRequest[] = [];
  const counters = {requests: 0, tokens: 0};
  const closer = options.keepAliveCloseMs === undefined ? undefined : new KeepAliveCloser(options.keepAliveCloseMs);
  /** Index of each request dropped unanswered, by id, to recognise its re-send. */
  const droppedUnanswered = new Map<string, number>();
  let nextIndex = 0;
  let isClosed = false;

  const receive = (path: string, requestId: string, body: Record<string, unknown>, receivedAtMs: number, sessionHeader?: string): ReceivedRequest => {
    const index = droppedUnanswered.get(requestId) ?? nextIndex++;
    droppedUnanswered.delete(requestId);
    const fault = options.faults?.[index];
    const request = {index, requestId, path, body, receivedAtMs, contentSentAtMs: [], ...(fault === undefined ? {} : {fault}),
      ...(sessionHeader === undefined ? {} : {sessionHeader})};
    requests.push(request);
    return request;
  };
  const countSuccess = (): void => {
    counters.requests++;
    counters.tokens += script.tokens;
  };

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The script's clock starts when the request arrives, before its body is read.
    const receivedAtMs = performance.now();
    if (closer !== undefined && !closer.admit(req, res)) return;
    if (req.method === "GET" && serveGet(req.url ?? "", res)) return;
    const isChat = req.url === "/v1/chat/completions";
    if (req.method !== "POST" || (!isChat && req.url !== "/v1/completions")) {
      res.writeHead(404).end();
      return;
    }
    let raw = "";
    for await (const piece of req) raw += String(piece);
    const body = JSON.parse(raw) as Record<string, unknown>;
    const sessionHeader = req.headers["x-session-id"];
    const request = receive(req.url ?? "", String(req.headers["x-request-id"]), body, receivedAtMs, typeof sessionHeader === "string" ? sessionHeader : undefined);
    if (request.fault === "http500") {
      res.writeHead(500, {"content-type": "application/json"}).end(JSON.stringify(errorBody("scripted failure")));
      return;
    }
    if (request.fault === "dropBeforeHeaders") {
      droppedUnanswered.set(request.requestId, request.index);
      req.socket.destroy();
      return;
    }
    if (body["stream"] === true) await answerStream(res, request, isChat);
    else await answerWhole(res, request, isChat);
  }

  /** `GET` of `/metrics` or `/v1/models`; false for any other path. */
  function serveGet(path: string, res: ServerResponse): boolean {
    if (path === "/metrics" && options.hasMetrics !== false) {
      res.writeHead(200, {"content-type": "text/plain; version=0.0.4"}).end(metricsText(counters));
      return true;
    }
    if (path === "/v1/models") {
      res.writeHead(200, {"content-type": "application/json"}).end(modelList(options.models ?? ["fake"]));
      return true;
    }
    return false;
  }

  async function answerWhole(res: ServerResponse, request: ReceivedRequest, isChat: boolean): Promise<void> {
    const text = wholeResponse(isChat, script, request.index);
    if (request.fault === "stall") return;
    await sleepUntil(request.receivedAtMs + chunkDueMs(script, chunkPlan(script).length - 1));
    if (request.fault === "malformed" || request.fault === "dropMidStream") {
      res.writeHead(200, {"content-type": "application/json"});
      if (request.fault === "malformed") res.end("{not json");
      else res.write(text.slice(0, 10), () => res.socket?.destroy());
      return;
    }
    res.writeHead(200, {"content-type": "application/json"}).end(text);
    request.contentSentAtMs.push(performance.now());
    countSuccess();
  }

  async function answerStream(res: ServerResponse, request: ReceivedRequest, isChat: boolean): Promise<void> {
    const {body, receivedAtMs} = request;
    const event = (chunk: unknown): string => `data: ${JSON.stringify(chunk)}\n\n`;
    const lines = chunkPlan(script).map((content) => event(streamChunk(isChat, content, null)));
    const isUsageIncluded = (body["stream_options"] as {include_usage?: boolean} | undefined)?.include_usage === true;
    const usage = usageOf(script, request.index);
    const tail =
      event(streamChunk(isChat, "", "length")) + (isUsageIncluded && usage.usage !== undefined ? event({choices: [], ...usage}) : "") + "data: [DONE]\n\n";
    res.writeHead(200, {"content-type": "text/event-stream", "cache-control": "no-cache"});
    if (isChat) res.write(event(streamChunk(true, undefined, null)));
    if (request.fault === "stall") return;
    for (const [k, line] of lines.entries()) {
      await sleepUntil(receivedAtMs + chunkDueMs(script, k));
      if (res.destroyed || isClosed) return;
      if (request.fault === "malformed" && k === 1) res.write('data: {"choices": [ broken\n\n');
      if (request.fault === "streamError" && k === 1) {
        res.end(event(errorBody("scripted stream error")));
        return;
      }
      if (request.fault === "dropMidStream" && k === 2) {
        res.socket?.destroy();
        return;
      }
      res.write(line);
      request.contentSentAtMs.push(performance.now());
    }
    if (request.fault === "noDone") {
      res.end();
      return;
    }
    countSuccess();
    res.end(tail);
  }

  async function handleWs(socket: WebSocket, body: Record<string, unknown>, receivedAtMs: number): Promise<void> {
    const requestId = String(body["request_id"]);
    const request = receive("/v1/chat/completions/ws", requestId, body, receivedAtMs);
    const message = (fields: Record<string, unknown>): string => JSON.stringify({...fields, request_id: requestId});
    if (request.fault === "http500" || request.fault === "streamError") {
      socket.send(message({type: "error", ...errorBody("scripted failure")}));
      return;
    }
    if (request.fault === "dropBeforeHeaders") {
      socket.terminate();
      return;
    }
    const messages = chunkPlan(script).map((content) => message(streamChunk(true, content, null)));
    const done = message({type: "done", ...usageOf(script, request.index)});
    socket.send(message(streamChunk(true, undefined, null)));
    if (request.fault === "stall") return;
    for (const [k, text] of messages.entries()) {
      await sleepUntil(receivedAtMs + chunkDueMs(script, k));
      if (socket.readyState !== socket.OPEN || isClosed) return;
      if (request.fault === "malformed" && k === 1) {
        socket.send("{not json");
        return;
      }
      if (request.fault === "dropMidStream" && k === 2) {
        socket.terminate();
        return;
      }
      socket.send(text);
      request.contentSentAtMs.push(performance.now());
    }
    if (request.fault === "noDone") return;
    countSuccess();
    socket.send(message(streamChunk(true, "", "length")));
    socket.send(done);
  }

  const server = createServer((req, res) => void handleHttp(req, res));
  const wss = new WebSocketServer({noServer: true});
  wss.on("connection", (socket: WebSocket) => {
    socket.on("message", (data) => {
      const receivedAtMs = performance.now();
      void handleWs(socket, JSON.parse(String(data)) as Record<string, unknown>, receivedAtMs);
    });
  });
  server.on("upgrade", (req, socket, head) => {
    if (req.url !== "/v1/chat/completions/ws") {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const {port} = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    counters,
    get numKeepAliveHangUps() {
      return closer?.numHangUps ?? 0;
    },
    async close() {
      isClosed = true;
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}
