/**
 * How a served model speculates, from the flags (or a variant's fields) to the drafter: which
 * drafter, and the limits of the adaptive rule. One record from the command line to the runtime; the
 * scheduler's SpeculationPolicy receives the part it applies.
 */

export type SpeculationMode = "draft" | "ngram";

export interface SpeculationOptions {
  /** "draft": a draft model (`draftModel`); "ngram": prompt lookup in the request's own tokens. */
  readonly mode: SpeculationMode;
  /** The draft model as given (a GGUF path or `synthetic:NAME[:SEED]`), exactly when the mode is "draft"; it must share the target's vocabulary. */
  readonly draftModel: string | undefined;
  /** Most draft tokens per request per step (--draft-max). Default 8. */
  readonly maxDraftTokens: number;
  /** Proposals shorter than this are not verified (--draft-min). Default 0. */
  readonly minDraftTokens: number;
  /**
   * A draft model stops drafting when its top token is less likely than this (--draft-p-min). Default
   * 0: a draft cut short verifies fewer tokens, which on a CPU can cost more than the full width (a
   * batch of 3 tokens costs more than one of 4 there), and the adaptive rule already sets the length.
   */
  readonly minDraftProbability: number;
  /** False: always draft `maxDraftTokens`, without the adaptive rule (--no-draft-adaptive). */
  readonly isAdaptive: boolean;
}

export const DEFAULT_SPECULATION_LIMITS = {maxDraftTokens: 8, minDraftTokens: 0, minDraftProbability: 0} as const;

/**
 * Checks a speculation setting's parts against each other. Throws an Error with one line for a
 * contradiction; `names` says how the caller's user spells each part (flags or file fields).
 */
export function checkSpeculationOptions(options: SpeculationOptions, names: {readonly draftModel: string; readonly mode: string; readonly minDraftTokens: string; readonly maxDraftTokens: string}): void {
  const {mode, draftModel, minDraftTokens, maxDraftTokens} = options;
  if (minDraftTokens > maxDraftTokens) throw new Error(`${names.minDraftTokens} (${minDraftTokens}) is greater than ${names.maxDraftTokens} (${maxDraftTokens})`);
  if (mode === "draft" && draftModel === undefined) throw new Error(`${names.mode} draft needs ${names.draftModel} (or use ${names.mode} ngram, which needs no draft model)`);
  if (mode === "ngram" && draftModel !== undefined) throw new Error(`${names.mode} ngram uses no draft model: drop ${names.draftModel}, or use ${names.mode} draft`);
}
