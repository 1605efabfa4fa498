/**
 * `POST /v1/chat/completions`, and the plan of a chat request that it shares with the websocket:
 * validate the body, route it to a variant, render the messages with that variant's chat template
 * (after its system prompt, when it has one and the request brings none).
 */
import type {IncomingHttpHeaders} from "node:http";
import type {FastifyInstance} from "fastify";
import type {ChatMessage} from "../../engine/ServedModel.ts";
import type {CompletionTracker} from "../metrics/CompletionTrace.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {chatFormat} from "../openai/formats.ts";
import {chatCompletionBody, messageText} from "../schemas/chatCompletion.ts";
import {parseBody} from "./parseBody.ts";
import {runCompletion} from "./runCompletion.ts";
import {type CompletionPlan, routeCompletion} from "./startGeneration.ts";

function withSystemPrompt(messages: readonly ChatMessage[], systemPrompt: string | undefined): readonly ChatMessage[] {
  if (systemPrompt === undefined || messages.some((message) => message.role === "system" || message.role === "developer")) return messages;
  return [{role: "system", content: systemPrompt}, ...messages];
}

/**
 * The plan of a chat completion body; `headers` carry the sticky key when the model routes by a header.
 * Throws the client error (400, 404, 503) when there is none.
 */
export function planChatCompletion(registry: ModelRegistry, rawBody: unknown, headers?: IncomingHttpHeaders): CompletionPlan {
  const body = parseBody(chatCompletionBody, rawBody);
  const messages: ChatMessage[] = body.messages.map((message) => ({role: message.role, content: messageText(message.content)}));
  const route = routeCompletion(registry, body, headers, (variant) => variant.model.renderChat(withSystemPrompt(messages, variant.defaults.systemPrompt)));
  return {
    ...route, body, prompt: body.messages,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    idPrefix: "chatcmpl",
    makeFormat: chatFormat
  };
}

export function registerChatCompletions(app: FastifyInstance, registry: ModelRegistry, tracker: CompletionTracker): void {
  app.post("/v1/chat/completions", async (request, reply) => {
    await runCompletion({request, reply, plan: planChatCompletion(registry, request.body, request.headers), tracker});
  });
}
