/**
 * Turns a stream of token ids into a stream of text from a string detokenizer, for vocabularies whose
 * token bytes are unknown (ByteDetokenizer is exact where they are known): byte-level BPE tokens can
 * split a UTF-8 sequence (an emoji, a Korean syllable), so text is held back while it ends in an
 * incomplete sequence, for as many tokens as one character can span. Owns that buffering only; the
 * tokenizer is injected.
 */

/** Detokenizes `tokens`; `lastTokens` gives context for tokenizers whose pieces depend on what came before. */
export type Detokenize = (tokens: readonly number[], lastTokens: readonly number[]) => string;

/** Tokens that may hold one incomplete UTF-8 character (4 bytes at most, each in its own token). */
const MAX_PENDING_TOKENS = 4;
const CONTEXT_TOKENS = 8;
const REPLACEMENT_CHARACTER = "\uFFFD";

/** A per-request text decoder: tokens in, complete text out. */
export interface TextStreamDecoder {
  /** Adds tokens; returns the text that is now complete (possibly empty). */
  push(tokens: readonly number[]): string;
  /** Whatever is still held back, at the end of generation. */
  flush(): string;
}

export class IncrementalDetokenizer implements TextStreamDecoder {
  private pending: number[] = [];
  private emitted: number[] = [];

  constructor(private readonly detokenize: Detokenize) {}

  /** Adds tokens; returns the text that is now complete (possibly empty). */
  push(tokens: readonly number[]): string {
    this.pending.push(...tokens);
    const text = this.detokenize(this.pending, this.emitted.slice(-CONTEXT_TOKENS));
    if (text.endsWith(REPLACEMENT_CHARACTER) && this.pending.length < MAX_PENDING_TOKENS) return "";
    return this.take(text);
  }

  /** Whatever is still held back, at the end of generation. */
  flush(): string {
    if (this.pending.length === 0) return "";
    return this.take(this.detokenize(this.pending, this.emitted.slice(-CONTEXT_TOKENS)));
  }

  private take(text: string): string {
    this.emitted.push(...this.pending);
    if (this.emitted.length > CONTEXT_TOKENS) this.emitted = this.emitted.slice(-CONTEXT_TOKENS);
    this.pending = [];
    return text;
  }
}
