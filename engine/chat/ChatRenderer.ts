/**
 * Renders chat messages into prompt tokens with the model's own chat template, ending with an open
 * assistant turn. A conversation without tools goes through node-llama-cpp's chat wrapper (the GGUF's
 * template, or a built-in equivalent). One with tools, or with tool calls and results in its history,
 * goes through the GGUF's Jinja template itself (JinjaChatTemplate.ts), which writes them in the
 * model's native format; a template that cannot render tools gets them described in a system
 * message and the history written in the generic syntax (toolCallSyntax.ts).
 * Owns the mapping from chat roles to the library's chat history; does not validate requests.
 */
import {type ChatHistoryItem, type ChatWrapper, type LlamaModel, resolveChatWrapper} from "node-llama-cpp";
import {JinjaChatTemplate} from "./JinjaChatTemplate.ts";
import {genericTurns} from "./genericTools.ts";
import {type ToolCallSyntax, toolCallSyntaxOf} from "./toolCallSyntax.ts";
import type {ChatMessage, ToolDefinition} from "./types.ts";

export type {ChatMessage, ToolDefinition} from "./types.ts";

export class ChatRenderer {
  readonly toolCallSyntax: ToolCallSyntax;
  private readonly wrapper: ChatWrapper;
  private readonly jinja: JinjaChatTemplate | null;

  constructor(private readonly model: LlamaModel) {
    this.wrapper = resolveChatWrapper(model);
    const source = model.fileInfo.metadata.tokenizer?.chat_template;
    this.toolCallSyntax = toolCallSyntaxOf(source);
    this.jinja = source !== undefined && this.toolCallSyntax.isRenderedByTemplate
      ? new JinjaChatTemplate(source, {bos: model.tokens.bosString ?? "", eos: model.tokens.eosString ?? "", callIdLength: this.toolCallSyntax.callIdLength})
      : null;
  }

  get templateName(): string {
    return this.wrapper.wrapperName;
  }

  /** Throws a ChatTemplateError when the model's template refuses the conversation. */
  render(messages: readonly ChatMessage[], tools?: readonly ToolDefinition[]): number[] {
    const hasToolTurns = messages.some((message) => message.role === "tool" || (message.toolCalls?.length ?? 0) > 0);
    if (!tools?.length && !hasToolTurns) return this.renderWithWrapper(messages);
    if (this.jinja) return this.model.tokenize(this.jinja.render(messages, tools), true);
    return this.renderWithWrapper(genericTurns(messages, tools));
  }

  private renderWithWrapper(messages: readonly ChatMessage[]): number[] {
    const chatHistory: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
      const text = message.content ?? "";
      if (message.role === "system" || message.role === "developer") return {type: "system", text};
      if (message.role === "assistant") return {type: "model", response: [text]};
      return {type: "user", text};
    });
    chatHistory.push({type: "model", response: []});
    const {contextText} = this.wrapper.generateContextState({chatHistory});
    return contextText.tokenize(this.model.tokenizer);
  }
}
