/**
 * Chat records the engine renders and parses: messages (with the tool calls an assistant made and
 * the results tools returned), the tools a model may call, and the calls parsed from its output.
 * Plain readonly data; the server maps OpenAI's shapes onto them.
 */

/** A call an assistant made: the function's name and its arguments as JSON text. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

export interface ChatMessage {
  readonly role: "system" | "developer" | "user" | "assistant" | "tool";
  /** Null for an assistant turn that only called tools. */
  readonly content: string | null;
  /** The calls of an assistant turn. */
  readonly toolCalls?: readonly ToolCall[];
  /** The call a tool message answers. */
  readonly toolCallId?: string;
}

/** A function the model may call. */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  /** A JSON Schema of the arguments; absent: any JSON object. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Arguments must follow `parameters` exactly (the grammar enforces them). */
  readonly isStrict?: boolean;
}
