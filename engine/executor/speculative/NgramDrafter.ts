/**
 * Prompt lookup (n-gram) drafting: the request's own tokens are the draft model. The last n tokens
 * are looked up earlier in the prompt and output, and what followed them there is proposed. Free to
 * run and effective where outputs copy their input (code edits, quoting, summaries, repetition).
 * Owns the lookup; verification is the executor's.
 */
import type {DraftTask, Drafter} from "./Drafter.ts";

export interface NgramOptions {
  /** Shortest suffix looked up. Default 2: a single token repeats too often to predict anything. */
  readonly minNgram?: number;
  /** Longest suffix looked up first. Default 4. */
  readonly maxNgram?: number;
}

/**
 * Tokens that followed the most recent earlier occurrence of the longest suffix of `history` (of
 * `maxNgram` down to `minNgram` tokens) that occurs earlier; empty when none does.
 */
export function proposeNgramDraft(history: readonly number[], maxNumTokens: number, options: NgramOptions = {}): number[] {
  const minNgram = options.minNgram ?? 2;
  const maxNgram = options.maxNgram ?? 4;
  if (maxNumTokens <= 0) return [];
  for (let n = Math.min(maxNgram, history.length - 1); n >= minNgram; n--) {
    const suffixStart = history.length - n;
    // Latest start first: recent context predicts best. A match must leave a token to propose.
    for (let start = suffixStart - 1; start >= 0; start--) {
      let length = 0;
      while (length < n && history[start + length] === history[suffixStart + length]) length++;
      if (length < n) continue;
      const from = start + n;
      return history.slice(from, Math.min(from + maxNumTokens, history.length));
    }
  }
  return [];
}

export class NgramDrafter implements Drafter {
  constructor(private readonly options: NgramOptions = {}) {}

  async draft(tasks: readonly DraftTask[]): Promise<ReadonlyMap<number, readonly number[]>> {
    const proposals = new Map<number, readonly number[]>();
    for (const task of tasks) {
      const history = [...task.contextTokens, task.lastToken];
      const proposal = proposeNgramDraft(history, task.maxNumTokens, this.options);
      if (proposal.length > 0) proposals.set(task.sequenceIndex, proposal);
    }
    return proposals;
  }

  async [Symbol.asyncDispose](): Promise<void> {}
}
