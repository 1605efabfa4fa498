/**
 * The HTTP end of both completion routes once they have a plan: start the completion with a trace
 * tied to the HTTP request (so `requestHooks.ts` reports how the exchange ended), name the variant in
 * a header, and deliver the completion as an event stream or as one JSON body. A client that goes
 * away aborts the generation at once, so its sequence is freed at the next step.
 */
import type {FastifyReply, FastifyRequest} from "fastify";
import {completionResponse} from "../completion/chunks.ts";
import {startCompletion, traceInfoOf} from "../completion/startCompletion.ts";
import type {CompletionPlan} from "../completion/types.ts";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import {sendEventStream} from "./sse.ts";

export async function serveHttpCompletion(request: FastifyRequest, reply: FastifyReply, plan: CompletionPlan, tracker: CompletionTracker): Promise<void> {
  reply.header("x-model-variant", plan.assignment.variant.name);
  const trace = tracker.start(request, traceInfoOf(plan));
  const started = startCompletion(plan, {arrivalMs: request.arrivalMs, trace});
  let isClientGone = false;
  reply.raw.on("close", () => {
    if (reply.raw.writableFinished) return;
    isClientGone = true;
    for (const stream of started.streams) stream.abort();
  });
  const options = {isCancelledByClient: () => isClientGone};
  if (plan.isStreaming) {
    await sendEventStream(reply, started, options);
    return;
  }
  const {body, outcome} = await completionResponse(started, options);
  if (outcome.kind === "failed") throw outcome.error;
  // Cancelled: the client left, nobody to answer.
  if (body !== null) await reply.send(body);
}
