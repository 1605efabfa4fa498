/** `POST /v1/completions`: validates the body, routes it to a variant, tokenizes the raw prompt with that variant's model, then generates. */
import type {IncomingHttpHeaders} from "node:http";
import type {FastifyInstance} from "fastify";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {textFormat} from "../openai/formats.ts";
import {completionBody} from "../schemas/completion.ts";
import {ApiError} from "../errors.ts";
import {parseBody} from "./parseBody.ts";
import {runCompletion} from "./runCompletion.ts";
import {type CompletionPlan, routeCompletion} from "./startGeneration.ts";

/** The plan of a text completion body. Throws the client error (400, 404, 503) when there is none. */
export function planTextCompletion(registry: ModelRegistry, rawBody: unknown, headers?: IncomingHttpHeaders): CompletionPlan {
  const body = parseBody(completionBody, rawBody);
  if (body.echo) throw new ApiError(400, "echo is not supported", "invalid_request_error", "echo", "unsupported_parameter");
  const prompt = typeof body.prompt === "string" ? body.prompt : body.prompt[0]!;
  const route = routeCompletion(registry, body, headers, (variant) => variant.model.tokenize(prompt));
  return {
    ...route, body, prompt,
    maxTokens: body.max_tokens ?? 16, // OpenAI's documented default for text completions
    idPrefix: "cmpl",
    makeFormat: textFormat
  };
}

export function registerCompletions(app: FastifyInstance, registry: ModelRegistry, tracker: CompletionTracker): void {
  app.post("/v1/completions", async (request, reply) => {
    await runCompletion({request, reply, plan: planTextCompletion(registry, request.body, request.headers), tracker});
  });
}
