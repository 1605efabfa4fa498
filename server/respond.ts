/**
 * Delivers one generation to an HTTP client, as an SSE stream or as one JSON object. Whatever the
 * mode, a client that goes away aborts the generation at once, so its sequence is freed at the next
 * step. Owns the HTTP wire protocol (SSE framing, `[DONE]`, back-pressure, the JSON body); which chunks
 * a stream carries is `streamChunks.ts`'s (shared with the websocket), their shapes `openai/formats.ts`'s.
 */
import type {OutgoingHttpHeaders} from "node:http";
import type {FastifyReply} from "fastify";
import type {GenerationStream} from "../engine/GenerationStream.ts";
import {type CompletionFormat, openAiFinishReason, timingsOf, usageOf} from "./openai/formats.ts";
import {generationFailure, streamChunks} from "./streamChunks.ts";

export interface DeliveryOptions {
  readonly isStreaming: boolean;
  readonly includeUsage: boolean;
  readonly format: CompletionFormat;
  readonly requestId: string;
  /** Gets the output text as it is delivered; only set when someone keeps it (`--log-prompts`). */
  readonly onText?: (text: string) => void;
}

/** Aborts the generation when the connection closes before the response finished. */
function abortOnDisconnect(reply: FastifyReply, stream: GenerationStream): void {
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) stream.abort();
  });
}

export async function deliver(reply: FastifyReply, stream: GenerationStream, options: DeliveryOptions): Promise<void> {
  abortOnDisconnect(reply, stream);
  if (!options.isStreaming) {
    const {text, summary} = await stream.collect();
    options.onText?.(text);
    const finishReason = openAiFinishReason(summary.finishReason);
    const failure = generationFailure(summary);
    if (failure) throw failure;
    if (finishReason === null) return; // the client left; nobody to answer
    await reply.send(options.format.fullResponse(text, finishReason, usageOf(summary), timingsOf(summary)));
    return;
  }
  await streamEvents(reply, stream, options);
}

async function streamEvents(reply: FastifyReply, stream: GenerationStream, options: DeliveryOptions): Promise<void> {
  const raw = reply.raw;
  reply.hijack();
  const headers: OutgoingHttpHeaders = {
    // Headers set on the reply so far (x-request-id, x-model-variant): a hijacked reply does not send them.
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    // No explicit `connection` header: Node sets keep-alive itself, and honours a client's `close`.
    "x-accel-buffering": "no"
  };
  raw.writeHead(200, headers);
  const send = async (payload: object | string): Promise<void> => {
    if (raw.destroyed) return;
    const data = typeof payload === "string" ? payload : JSON.stringify(payload);
    // Respect back-pressure: a slow reader pauses this request rather than growing our buffers.
    if (!raw.write(`data: ${data}\n\n`)) await new Promise((resolve) => { raw.once("drain", resolve); raw.once("close", resolve); });
  };
  for await (const chunk of streamChunks(stream, options)) {
    if (raw.destroyed) break;
    await send(chunk);
  }
  if (raw.destroyed) return;
  const summary = await stream.whenDone();
  const failure = generationFailure(summary);
  if (failure) await send(failure.toBody());
  await send("[DONE]");
  raw.end();
}
