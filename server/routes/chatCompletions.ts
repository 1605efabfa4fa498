/** `POST /v1/chat/completions`: plan the body, then serve it over HTTP (SSE or one JSON object). */
import type {FastifyInstance} from "fastify";
import {planChatCompletion} from "../completion/planCompletion.ts";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {serveHttpCompletion} from "../transport/httpCompletion.ts";

export function registerChatCompletions(app: FastifyInstance, registry: ModelRegistry, tracker: CompletionTracker): void {
  app.post("/v1/chat/completions", async (request, reply) => {
    await serveHttpCompletion(request, reply, planChatCompletion(registry, request.body, request.headers), tracker);
  });
}
