/**
 * Renders a conversation with tools through the GGUF's own Jinja chat template, as llama-server's
 * `--jinja` and vLLM do: OpenAI-style messages (assistant `tool_calls` with their arguments as
 * objects, which templates serialize themselves; `tool` messages with their `tool_call_id`), the
 * tools, `add_generation_prompt` and the model's BOS and EOS text (the Jinja implementation provides
 * the helpers templates call, `strftime_now` and `raise_exception`). Owns that rendering only.
 */
import {createHash} from "node:crypto";
import {Template} from "@huggingface/jinja";
import type {ChatMessage, ToolDefinition} from "./types.ts";

/** A template refused the conversation (`raise_exception`), or could not render it. */
export class ChatTemplateError extends Error {
  override readonly name = "ChatTemplateError";
}

/** A call's arguments as a value for a template; text that is not JSON stays text. */
export function parsedArguments(text: string): unknown {
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

/** An id of exactly `length` letters and digits: the id itself when it is one, else one derived from it. */
function fittedCallId(id: string, length: number): string {
  if (id.length === length && /^[a-zA-Z0-9]+$/.test(id)) return id;
  return createHash("sha256").update(id).digest("hex").slice(0, length);
}

/**
 * The history with call ids the template accepts: Mistral's templates refuse ids that are not 9
 * letters and digits (OpenAI's and other servers' ids are longer), so those are mapped, the same way
 * for a call and the result that answers it.
 */
function withCallIdLength(messages: readonly ChatMessage[], length: number | undefined): readonly ChatMessage[] {
  if (length === undefined) return messages;
  return messages.map((message) => ({
    ...message,
    ...(message.toolCalls ? {toolCalls: message.toolCalls.map((call) => ({...call, id: fittedCallId(call.id, length)}))} : {}),
    ...(message.toolCallId !== undefined ? {toolCallId: fittedCallId(message.toolCallId, length)} : {})
  }));
}

/** A tool as OpenAI sends it, without the fields the request left out (templates print what they get). */
function templateTool({name, description, parameters}: ToolDefinition): Record<string, unknown> {
  return {type: "function", function: {name, ...(description !== undefined ? {description} : {}), ...(parameters !== undefined ? {parameters} : {})}};
}

/**
 * Templates are written for Python's Jinja, where an undefined value filtered as text prints as empty
 * text (a tool parameter without a description, in Hermes 3's template); this implementation throws
 * instead, so undefined values get an explicit empty default before `trim`.
 */
function withPythonUndefinedText(source: string): string {
  return source.replace(/\|\s*trim\b/g, "|default('')|trim");
}

export interface JinjaTemplateOptions {
  /** The model's BOS and EOS text. */
  readonly bos: string;
  readonly eos: string;
  /** The length of call ids the template requires (Mistral's), if it requires one. */
  readonly callIdLength?: number;
}

export class JinjaChatTemplate {
  private readonly template: Template;

  constructor(source: string, private readonly options: JinjaTemplateOptions) {
    this.template = new Template(withPythonUndefinedText(source));
  }

  render(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] | undefined): string {
    try {
      return this.template.render({
        messages: withCallIdLength(messages, this.options.callIdLength).map(templateMessage),
        ...(tools && tools.length > 0 ? {tools: tools.map(templateTool)} : {}),
        add_generation_prompt: true,
        bos_token: this.options.bos,
        eos_token: this.options.eos
      });
    } catch (error) {
      // Templates refuse conversations they cannot render with raise_exception, which the Jinja implementation throws.
      throw new ChatTemplateError(`the model's chat template could not render the conversation: ${(error as Error).message}`);
    }
  }
}
