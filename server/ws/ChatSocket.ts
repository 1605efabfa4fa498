/**
 * One client's websocket on `/v1/chat/completions/ws`: many chat completions multiplexed by
 * `request_id` (the protocol is `protocol.ts`'s). Each request takes the same path as
 * `POST /v1/chat/completions` with `stream: true` (the completion pipeline's plan, start and chunks)
 * and is reported the
 * same way (trace, metrics). A cancel, or the socket closing, aborts generations at once, so their
 * sequences are freed at the next step; a malformed message gets an error message and the socket
 * stays usable. Owns the socket's requests and their lifecycle; not framing rules nor object shapes.
 */
import type {IncomingHttpHeaders} from "node:http";
import type {FastifyBaseLogger} from "fastify";
import type {RawData, WebSocket} from "ws";
import type {GenerationStream} from "../../engine/GenerationStream.ts";
import {completionChunks} from "../completion/chunks.ts";
import {planChatCompletion} from "../completion/planCompletion.ts";
import {startCompletion, traceInfoOf} from "../completion/startCompletion.ts";
import {combinedOutcome, outcomeOf} from "../completion/outcome.ts";
import type {StartedCompletion} from "../completion/types.ts";
import {ApiError, toApiError} from "../errors.ts";
import {CLIENT_CLOSED_REQUEST} from "../metrics/requestHooks.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {chunkPrefix, doneMessage, errorMessage, parseClientMessage, ProtocolError, taggedChunk} from "./protocol.ts";
import {SocketWriter} from "./SocketWriter.ts";
import {type OutcomeDeps, WsRequestOutcome} from "./WsRequestOutcome.ts";

export interface ChatSocketDeps extends OutcomeDeps {
  readonly registry: ModelRegistry;
  /** The logger of the socket's upgrade request. */
  readonly log: FastifyBaseLogger;
  /** The upgrade request's headers: a model may route by a header (its sticky key). */
  readonly headers: IncomingHttpHeaders;
}

interface InFlight {
  readonly streams: readonly GenerationStream[];
  isCancelled: boolean;
}

function abortAll(entry: InFlight): void {
  for (const stream of entry.streams) stream.abort();
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString("utf8");
}

export class ChatSocket {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly writer: SocketWriter;
  private isClosed = false;

  constructor(socket: WebSocket, private readonly deps: ChatSocketDeps) {
    this.writer = new SocketWriter(socket);
    // Arrival is when the message is read, before parsing and tokenization, as for HTTP requests.
    socket.on("message", (data) => this.onMessage(textOf(data), performance.now()));
    socket.once("close", () => this.onClose());
  }

  private onMessage(text: string, arrivalMs: number): void {
    let message;
    try {
      message = parseClientMessage(text);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      void this.writer.send(errorMessage(error.requestId, error.apiError));
      return;
    }
    if (message.type === "cancel") {
      this.cancel(message.requestId);
      return;
    }
    const {requestId} = message;
    if (this.inFlight.has(requestId)) {
      const duplicate = new ApiError(400, `request_id '${requestId}' is already in flight on this socket`, "invalid_request_error",
        "request_id", "duplicate_request_id");
      void this.writer.send(errorMessage(requestId, duplicate));
      return;
    }
    const outcome = new WsRequestOutcome(this.deps, this.deps.log, requestId);
    let started: StartedCompletion;
    try {
      const plan = planChatCompletion(this.deps.registry, message.body, this.deps.headers);
      started = startCompletion(plan, {arrivalMs, trace: outcome.startTrace(traceInfoOf(plan))});
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.statusCode >= 500) this.deps.log.error({err: error}, "request failed");
      void this.writer.send(errorMessage(requestId, apiError));
      outcome.end(apiError.statusCode);
      return;
    }
    // Registered before the first await, so a cancel that follows at once finds it.
    const entry: InFlight = {streams: started.streams, isCancelled: false};
    this.inFlight.set(requestId, entry);
    this.deliver(requestId, entry, started, outcome).catch((error: unknown) => {
      // Nothing in delivery should throw; if it does, the request ends as a 500 rather than hanging.
      this.deps.log.error({err: error}, "websocket delivery failed");
      this.inFlight.delete(requestId);
      abortAll(entry);
      void this.writer.send(errorMessage(requestId, toApiError(error)));
      outcome.end(500);
    });
  }

  private async deliver(requestId: string, entry: InFlight, started: StartedCompletion, outcome: WsRequestOutcome): Promise<void> {
    const prefix = chunkPrefix(requestId);
    const chunks = completionChunks(started, {isCancelledByClient: () => entry.isCancelled || this.isClosed});
    let next = await chunks.next();
    for (; !next.done; next = await chunks.next()) {
      if (entry.isCancelled || this.isClosed) break;
      await this.writer.send(taggedChunk(prefix, next.value));
    }
    // Leaving early ends the generator, which aborts the generation; its summary follows a step later.
    if (!next.done) await chunks.return(undefined as never);
    const ended = next.done ? next.value : combinedOutcome(await Promise.all(started.streams.map(async (stream) => outcomeOf(await stream.whenDone(), true))));
    // Freed before the terminal message, so the client may reuse the id as soon as it reads it.
    this.inFlight.delete(requestId);
    if (this.isClosed) {
      outcome.end(CLIENT_CLOSED_REQUEST);
      return;
    }
    if (ended.kind === "failed") {
      await this.writer.send(errorMessage(requestId, ended.error));
      outcome.end(ended.error.statusCode);
      return;
    }
    const isCancelled = ended.kind === "cancelled";
    await this.writer.send(doneMessage(requestId, started.plan.includeUsage ? ended.usage : null, isCancelled));
    outcome.end(isCancelled ? CLIENT_CLOSED_REQUEST : 200);
  }

  /** Stops a request's generation; an id not in flight (already done, never sent) is ignored. */
  private cancel(requestId: string): void {
    const entry = this.inFlight.get(requestId);
    if (!entry || entry.isCancelled) return;
    entry.isCancelled = true;
    abortAll(entry);
  }

  private onClose(): void {
    this.isClosed = true;
    for (const entry of this.inFlight.values()) abortAll(entry);
  }
}
