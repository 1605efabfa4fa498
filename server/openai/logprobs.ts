/**
 * Log-probabilities in OpenAI's two shapes. Chat: `{content: [{token, logprob, bytes, top_logprobs}],
 * refusal: null}`, the entries of a chunk's own delta. Text completions (the legacy shape): parallel
 * arrays `tokens`, `token_logprobs`, `top_logprobs` (token text -> logprob) and `text_offset`, the
 * character offset of each token in the choice's text, counted from the start of the response's text
 * (the echoed prompt included), so a writer keeps the running offset. Owns the shapes only.
 */
import type {PromptTokenLogprob, TokenChoice, TokenLogprob} from "../../engine/types.ts";

/** A prompt or output token's entry, as both shapes read it. */
type Entry = TokenLogprob | PromptTokenLogprob;

function chatChoice(choice: TokenChoice): object {
  return {token: choice.text, logprob: choice.logprob, bytes: [...choice.bytes]};
}

/** The chat shape of some entries. */
export function chatLogprobs(entries: readonly TokenLogprob[]): object {
  return {content: entries.map((entry) => ({...chatChoice(entry), top_logprobs: entry.top.map(chatChoice)})), refusal: null};
}

/** Writes the legacy shape of consecutive entries, keeping each token's offset in the text. */
export class TextLogprobWriter {
  private offset: number;

  /** `startOffset`: where the first entry's text starts in the choice's text. */
  constructor(startOffset = 0) {
    this.offset = startOffset;
  }

  write(entries: readonly Entry[]): object {
    const tokens: string[] = [];
    const tokenLogprobs: (number | null)[] = [];
    const topLogprobs: (Record<string, number> | null)[] = [];
    const textOffset: number[] = [];
    for (const entry of entries) {
      tokens.push(entry.text);
      tokenLogprobs.push(entry.logprob);
      topLogprobs.push(entry.top === null ? null : Object.fromEntries(entry.top.map((choice) => [choice.text, choice.logprob])));
      textOffset.push(this.offset);
      this.offset += entry.text.length;
    }
    return {tokens, token_logprobs: tokenLogprobs, top_logprobs: topLogprobs, text_offset: textOffset};
  }
}
