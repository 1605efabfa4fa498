/**
 * Counts tokens with tiktoken when a server does not report `usage`. The count is only as close to
 * the server's own tokenizer as the chosen encoding is, so the report says which figures came from
 * here. Encodings are loaded once per process and kept: loading costs tens of milliseconds and a
 * few MB, and a bench uses one or two. This file does not decide when to count; callers do.
 */
import {get_encoding, type Tiktoken} from "tiktoken";
import type {ChatMessage, TokenizerEncoding} from "./types.ts";

/** Counts the tokens of a text under one encoding. */
export interface TokenCounter {
  readonly encoding: TokenizerEncoding;
  count(text: string): number;
  /** Sum over the message contents; chat-template tokens are not included. */
  countMessages(messages: readonly ChatMessage[]): number;
}

const encoders = new Map<TokenizerEncoding, Tiktoken>();

/** Returns a counter for `encoding`, loading it on first use. */
export function getTokenCounter(encoding: TokenizerEncoding): TokenCounter {
  let encoder = encoders.get(encoding);
  if (encoder === undefined) {
    encoder = get_encoding(encoding);
    encoders.set(encoding, encoder);
  }
  const loaded = encoder;
  // Special-token text in model output ("<|endoftext|>") must count as text, not throw.
  const count = (text: string): number => (text === "" ? 0 : loaded.encode(text, [], []).length);
  return {
    encoding,
    count,
    countMessages: (messages) => messages.reduce((sum, message) => sum + count(message.content), 0)
  };
}
