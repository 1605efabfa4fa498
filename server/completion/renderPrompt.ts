/**
 * Renders a request's prompt for one variant's model: chat messages through the model's own chat
 * template (after the variant's system prompt, when it has one and the request brings none), a text
 * prompt through its tokenizer. Called once for the variant that answers and once per shadow, since
 * a shadow may have another template or tokenizer.
 */
import type {ChatMessage} from "../../engine/ServedModel.ts";
import {ChatTemplateError} from "../../engine/chat/JinjaChatTemplate.ts";
import type {Variant} from "../canary/types.ts";
import {ApiError} from "../errors.ts";
import type {PromptSource} from "./types.ts";

function withSystemPrompt(messages: readonly ChatMessage[], systemPrompt: string | undefined): readonly ChatMessage[] {
  if (systemPrompt === undefined || messages.some((message) => message.role === "system" || message.role === "developer")) return messages;
  return [{role: "system", content: systemPrompt}, ...messages];
}

/** Throws a 400 when the model's chat template refuses the conversation. */
export function renderPrompt(source: PromptSource, variant: Variant): number[] {
  if (source.kind === "text") return variant.model.tokenize(source.text);
  try {
    return variant.model.renderChat(withSystemPrompt(source.messages, variant.defaults.systemPrompt), source.tools);
  } catch (error) {
    if (!(error instanceof ChatTemplateError)) throw error;
    throw new ApiError(400, error.message, "invalid_request_error", "messages", "invalid_value");
  }
}
