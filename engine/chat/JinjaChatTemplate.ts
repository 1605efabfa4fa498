/**
 * Renders a conversation with tools through the GGUF's own Jinja chat template, as llama-server's
 * `--jinja` and vLLM do: OpenAI-style messages (assistant `tool_calls` with their arguments as
 * objects, which templates serialize themselves; `tool` messages with their `tool_call_id`), the
 * tools, `add_generation_prompt` and the model's BOS and EOS text (the Jinja implementation provides
 * the helpers templates call, `strftime_now` and `raise_exception`). Owns that rendering only.
 */
import {Template} from "@huggingface/jinja";
import type {ChatMessage, ToolDefinition} from "./types.ts";

/** A template refused the conversation (`raise_exception`), or could not render it. */
export class ChatTemplateError extends Error {
  override readonly name = "ChatTemplateError";
}

function parsedArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function templateMessage(message: ChatMessage): Record<string, unknown> {
  return {
    role: message.role === "developer" ? "system" : message.role,
    content: message.content,
    ...(message.toolCalls ? {
      tool_calls: message.toolCalls.map((call) => ({id: call.id, type: "function", function: {name: call.name, arguments: parsedArguments(call.arguments)}}))
    } : {}),
    ...(message.toolCallId !== undefined ? {tool_call_id: message.toolCallId} : {})
  };
}

/** A tool as OpenAI sends it, without the fields the request left out (templates print what they get). */
function templateTool({name, description, parameters}: ToolDefinition): Record<string, unknown> {
  return {type: "function", function: {name, ...(description !== undefined ? {description} : {}), ...(parameters !== undefined ? {parameters} : {})}};
}

export class JinjaChatTemplate {
  private readonly template: Template;

  constructor(source: string, private readonly specialTokens: {readonly bos: string; readonly eos: string}) {
    this.template = new Template(source);
  }

  render(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] | undefined): string {
    try {
      return this.template.render({
        messages: messages.map(templateMessage),
        ...(tools && tools.length > 0 ? {tools: tools.map(templateTool)} : {}),
        add_generation_prompt: true,
        bos_token: this.specialTokens.bos,
        eos_token: this.specialTokens.eos
      });
    } catch (error) {
      // Templates refuse conversations they cannot render with raise_exception, which the Jinja implementation throws.
      throw new ChatTemplateError(`the model's chat template could not render the conversation: ${(error as Error).message}`);
    }
  }
}
