/** `POST /v1/completions`: validates the body, tokenizes the raw prompt, then generates. */
import type {FastifyInstance} from "fastify";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {textFormat} from "../openai/formats.ts";
import {completionBody} from "../schemas/completion.ts";
import {ApiError} from "../errors.ts";
import {parseBody} from "./parseBody.ts";
import {runCompletion} from "./runCompletion.ts";
import type {CompletionPlan} from "./startGeneration.ts";

/** The plan of a text completion body. Throws the client error (400, 404, 503) when there is none. */
export function planTextCompletion(registry: ModelRegistry, rawBody: unknown): CompletionPlan {
  const body = parseBody(completionBody, rawBody);
  if (body.echo) throw new ApiError(400, "echo is not supported", "invalid_request_error", "echo", "unsupported_parameter");
  const model = registry.resolve(body.model);
  const prompt = typeof body.prompt === "string" ? body.prompt : body.prompt[0]!;
  return {
    body, model, promptTokens: model.tokenize(prompt), prompt,
    maxTokens: body.max_tokens ?? 16, // OpenAI's documented default for text completions
    idPrefix: "cmpl",
    makeFormat: textFormat
  };
}

export function registerCompletions(app: FastifyInstance, registry: ModelRegistry, tracker: CompletionTracker): void {
  app.post("/v1/completions", async (request, reply) => {
    await runCompletion({request, reply, plan: planTextCompletion(registry, request.body), tracker});
  });
}
