/**
 * The HTTP end of both completion routes once they have a plan: start the generation (its trace tied
 * to the HTTP request, so `requestHooks.ts` reports how the exchange ended), set the variant header,
 * and deliver as SSE or one JSON body. Keeping it in one place means chat and text completions cannot
 * drift apart in limits, headers or disconnect handling; the websocket shares `startGeneration`.
 */
import type {FastifyReply, FastifyRequest} from "fastify";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import {deliver} from "../respond.ts";
import {type CompletionPlan, startGeneration} from "./startGeneration.ts";

export interface CompletionRun {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly plan: CompletionPlan;
  readonly tracker: CompletionTracker;
}

export async function runCompletion({request, reply, plan, tracker}: CompletionRun): Promise<void> {
  const started = startGeneration(plan, {
    arrivalMs: request.arrivalMs,
    startTrace: (info) => {
      reply.header("x-model-variant", info.variant);
      return tracker.start(request, info);
    }
  });
  await deliver(reply, started.stream, {
    isStreaming: plan.body.stream === true,
    includeUsage: started.includeUsage,
    format: started.format,
    requestId: started.id,
    onText: started.trace.onText
  });
}
