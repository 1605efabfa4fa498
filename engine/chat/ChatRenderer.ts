/**
 * Renders OpenAI chat messages into prompt tokens with the model's own chat template (node-llama-cpp
 * resolves the GGUF's Jinja template, or a built-in equivalent), ending with an open assistant turn.
 * Owns the mapping from OpenAI roles to the library's chat history; does not validate requests.
 */
import {type ChatHistoryItem, type ChatWrapper, type LlamaModel, resolveChatWrapper} from "node-llama-cpp";

export interface ChatMessage {
  readonly role: "system" | "developer" | "user" | "assistant";
  readonly content: string;
}

export class ChatRenderer {
  private readonly wrapper: ChatWrapper;

  constructor(private readonly model: LlamaModel) {
    this.wrapper = resolveChatWrapper(model);
  }

  get templateName(): string {
    return this.wrapper.wrapperName;
  }

  render(messages: readonly ChatMessage[]): number[] {
    const chatHistory: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
      if (message.role === "system" || message.role === "developer") return {type: "system", text: message.content};
      if (message.role === "user") return {type: "user", text: message.content};
      return {type: "model", response: [message.content]};
    });
    chatHistory.push({type: "model", response: []});
    const {contextText} = this.wrapper.generateContextState({chatHistory});
    return contextText.tokenize(this.model.tokenizer);
  }
}
