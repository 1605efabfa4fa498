/**
 * Server-sent events for one started completion: `data: {chunk}` lines, then an error object when the
 * completion failed after the stream began, then `data: [DONE]`. A slow reader pauses this request
 * (back-pressure through `drain`) rather than growing the server's buffers. Owns the SSE framing and
 * headers; which chunks are sent is `completion/chunks.ts`'s.
 */
import type {OutgoingHttpHeaders} from "node:http";
import type {FastifyReply} from "fastify";
import {type ChunkOptions, completionChunks} from "../completion/chunks.ts";
import type {StartedCompletion} from "../completion/types.ts";

/** Headers of every event stream; `x-accel-buffering: no` keeps buffering proxies (nginx) from holding tokens back. */
const SSE_HEADERS: OutgoingHttpHeaders = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // No explicit `connection` header: Node sets keep-alive itself, and honours a client's `close`.
  "x-accel-buffering": "no"
};

export async function sendEventStream(reply: FastifyReply, started: StartedCompletion, options: ChunkOptions): Promise<void> {
  const raw = reply.raw;
  reply.hijack();
  // Headers set on the reply so far (x-request-id, x-model-variant): a hijacked reply does not send them.
  raw.writeHead(200, {...(reply.getHeaders() as OutgoingHttpHeaders), ...SSE_HEADERS});
  const send = async (payload: object | string): Promise<void> => {
    if (raw.destroyed) return;
    const data = typeof payload === "string" ? payload : JSON.stringify(payload);
    if (!raw.write(`data: ${data}\n\n`)) await new Promise((resolve) => { raw.once("drain", resolve); raw.once("close", resolve); });
  };
  const chunks = completionChunks(started, options);
  for (;;) {
    // Leaving early (the client left) ends the generator, which aborts the generation.
    if (raw.destroyed) {
      await chunks.return(undefined as never);
      return;
    }
    const next = await chunks.next();
    if (next.done) {
      if (next.value.kind === "failed") await send(next.value.error.toBody());
      break;
    }
    await send(next.value);
  }
  if (raw.destroyed) return;
  await send("[DONE]");
  raw.end();
}
