/**
 * What the server needs from one served model: a name, prompt rendering, and an engine to submit
 * generations to. The server depends on this interface only, so its tests can serve a fake model
 * through the real engine loop. Owns no behaviour.
 */
import type {ChatMessage} from "./chat/ChatRenderer.ts";
import type {Engine} from "./Engine.ts";

export type {ChatMessage};

export interface ServedModel extends AsyncDisposable {
  /** The name clients send as `model`. */
  readonly name: string;
  /** Unix seconds when the model was loaded, for `/v1/models`. */
  readonly createdAtSeconds: number;
  readonly engine: Engine;
  /** Tokens one request can hold, prompt and output together. */
  readonly contextLength: number;
  renderChat(messages: readonly ChatMessage[]): number[];
  /** Tokenizes a raw completion prompt (special tokens as text are parsed, as llama-server does). */
  tokenize(text: string): number[];
}
