/** `POST /v1/chat/completions`: renders the messages with the model's chat template, then generates. */
import type {FastifyInstance} from "fastify";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {chatFormat} from "../openai/formats.ts";
import {chatCompletionBody, messageText} from "../schemas/chatCompletion.ts";
import {parseBody} from "./parseBody.ts";
import {runCompletion} from "./runCompletion.ts";

export function registerChatCompletions(app: FastifyInstance, registry: ModelRegistry, tracker: CompletionTracker): void {
  app.post("/v1/chat/completions", async (request, reply) => {
    const body = parseBody(chatCompletionBody, request.body);
    const model = registry.resolve(body.model);
    const promptTokens = model.renderChat(body.messages.map((message) => ({role: message.role, content: messageText(message.content)})));
    await runCompletion({
      request, reply, body, model, promptTokens, prompt: body.messages, tracker,
      maxTokens: body.max_completion_tokens ?? body.max_tokens,
      idPrefix: "chatcmpl",
      makeFormat: chatFormat
    });
  });
}
