/**
 * The contract between the executor and whatever proposes draft tokens for speculative decoding (a
 * draft model, or n-gram lookup in the request's own tokens). A drafter proposes; the executor
 * verifies with the target model and decides what is accepted. Owns no acceptance logic.
 */

/** One request's drafting job in a step. */
export interface DraftTask {
  /** The target sequence's index; a draft model keeps its own sequence of the same index in step. */
  readonly sequenceIndex: number;
  /** Every token the target sequence holds (prompt and output, without `lastToken`). */
  readonly contextTokens: readonly number[];
  /** The token fed to the target this step, after which the drafts follow. */
  readonly lastToken: number;
  /** Propose at most this many tokens. */
  readonly maxNumTokens: number;
}

export interface Drafter extends AsyncDisposable {
  /** Proposals by sequence index; a task may get fewer tokens than asked, or none. */
  draft(tasks: readonly DraftTask[]): Promise<ReadonlyMap<number, readonly number[]>>;
}
