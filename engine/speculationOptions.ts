/**
 * How a served model speculates, as the server's flags give it (llama-server's names): which drafter,
 * and the limits of the adaptive rule. A plain record; the runtime builds the drafter from it and the
 * scheduler's SpeculationPolicy applies the limits.
 */

export type SpeculationMode = "draft" | "ngram";

export interface SpeculationOptions {
  /** "draft": a draft model (`draftModelPath`); "ngram": prompt lookup in the request's own tokens. */
  readonly mode: SpeculationMode;
  /** GGUF of the draft model (mode "draft"); it must share the target's vocabulary. */
  readonly draftModelPath?: string;
  /** Most draft tokens per request per step (--draft-max). Default 8. */
  readonly maxDraftTokens: number;
  /** Proposals shorter than this are not verified (--draft-min). Default 0. */
  readonly minDraftTokens: number;
  /** A draft model stops drafting when its top token is less likely than this (--draft-p-min). Default 0.6. */
  readonly minDraftProbability: number;
  /** False: always draft `maxDraftTokens`, without the adaptive rule (--no-draft-adaptive). Default true. */
  readonly isAdaptive?: boolean;
}

export const DEFAULT_SPECULATION_LIMITS = {maxDraftTokens: 8, minDraftTokens: 0, minDraftProbability: 0.6} as const;
