/**
 * What the server needs from one served model: a name, prompt rendering, and an engine to submit
 * generations to. The server depends on this interface only, so its tests can serve a fake model
 * through the real engine loop. Owns no behaviour.
 */
import type {ToolCallSyntax} from "./chat/toolCallSyntax.ts";
import type {ChatMessage, ToolDefinition} from "./chat/types.ts";
import type {Engine} from "./Engine.ts";

export type {ChatMessage, ToolDefinition};

export interface ServedModel extends AsyncDisposable {
  /** The name clients send as `model`. */
  readonly name: string;
  /** Unix seconds when the model was loaded, for `/v1/models`. */
  readonly createdAtSeconds: number;
  readonly engine: Engine;
  /** Tokens one request can hold, prompt and output together. */
  readonly contextLength: number;
  /** Renders a chat (with tools, when given); throws a ChatTemplateError when the template refuses it. */
  renderChat(messages: readonly ChatMessage[], tools?: readonly ToolDefinition[]): number[];
  /** How this model writes tool calls, read from its chat template. */
  readonly toolCallSyntax: ToolCallSyntax;
  /** Tokenizes a raw completion prompt (special tokens as text are parsed, as llama-server does). */
  tokenize(text: string): number[];
}
