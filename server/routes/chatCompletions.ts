/**
 * `POST /v1/chat/completions`, and the plan of a chat request that it shares with the websocket:
 * validate the body, resolve the model, render the messages with the model's chat template.
 */
import type {FastifyInstance} from "fastify";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {chatFormat} from "../openai/formats.ts";
import {chatCompletionBody, messageText} from "../schemas/chatCompletion.ts";
import {parseBody} from "./parseBody.ts";
import {runCompletion} from "./runCompletion.ts";
import type {CompletionPlan} from "./startGeneration.ts";

/** The plan of a chat completion body. Throws the client error (400, 404, 503) when there is none. */
export function planChatCompletion(registry: ModelRegistry, rawBody: unknown): CompletionPlan {
  const body = parseBody(chatCompletionBody, rawBody);
  const model = registry.resolve(body.model);
  const promptTokens = model.renderChat(body.messages.map((message) => ({role: message.role, content: messageText(message.content)})));
  return {
    body, model, promptTokens, prompt: body.messages,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    idPrefix: "chatcmpl",
    makeFormat: chatFormat
  };
}

export function registerChatCompletions(app: FastifyInstance, registry: ModelRegistry, tracker: CompletionTracker): void {
  app.post("/v1/chat/completions", async (request, reply) => {
    await runCompletion({request, reply, plan: planChatCompletion(registry, request.body), tracker});
  });
}
