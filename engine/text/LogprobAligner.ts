/**
 * Hands out each token's log-probabilities with the delta whose text completes the token. The text
 * pipeline holds text back (a character split over tokens, a possible stop string), so a token's
 * entry waits until every character it produced has been emitted. At the end, tokens whose text a
 * stop string cut away are dropped, and the token it cut through keeps only what was emitted. Text
 * is counted in UTF-16 units, as the pipeline's strings are. Owns that bookkeeping only.
 */
import type {TokenLogprob} from "../types.ts";

interface Pending {
  readonly entry: TokenLogprob;
  /** The text this token completed (empty for a piece of a character). */
  decoded: string;
  /** Where that text ends in all text decoded so far. */
  end: number;
}

const ENCODER = new TextEncoder();

export class LogprobAligner {
  private readonly pending: Pending[] = [];
  private decodedLength = 0;
  private emittedLength = 0;

  /** A token was taken; `decoded` is the text the detokenizer produced for it. */
  addToken(entry: TokenLogprob, decoded: string): void {
    this.decodedLength += decoded.length;
    this.pending.push({entry, decoded, end: this.decodedLength});
  }

  /** Text the detokenizer produced after the last token (held-back bytes at the end) belongs to that token. */
  addTail(decoded: string): void {
    const last = this.pending.at(-1);
    if (!last || decoded.length === 0) return;
    this.decodedLength += decoded.length;
    last.decoded += decoded;
    last.end = this.decodedLength;
  }

  /** `text` was emitted: the entries whose text is now all out. */
  emit(text: string): TokenLogprob[] {
    this.emittedLength += text.length;
    const released: TokenLogprob[] = [];
    while (this.pending.length > 0 && this.pending[0]!.end <= this.emittedLength) released.push(this.pending.shift()!.entry);
    return released;
  }

  /** The end of the output: what is left, the entry a stop string cut through clipped, the rest dropped. */
  finish(): TokenLogprob[] {
    const first = this.pending.shift();
    this.pending.length = 0;
    if (!first) return [];
    const start = first.end - first.decoded.length;
    const kept = first.decoded.slice(0, Math.max(0, this.emittedLength - start));
    if (kept.length === 0) return [];
    return [{...first.entry, text: kept, bytes: [...ENCODER.encode(kept)]}];
  }
}
