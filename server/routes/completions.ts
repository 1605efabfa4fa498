/** `POST /v1/completions`: plan the body (a raw prompt), then serve it over HTTP (SSE or one JSON object). */
import type {FastifyInstance} from "fastify";
import {planTextCompletion} from "../completion/planCompletion.ts";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {serveHttpCompletion} from "../transport/httpCompletion.ts";

export function registerCompletions(app: FastifyInstance, registry: ModelRegistry, tracker: CompletionTracker): void {
  app.post("/v1/completions", async (request, reply) => {
    await serveHttpCompletion(request, reply, planTextCompletion(registry, request.body, request.headers), tracker);
  });
}
