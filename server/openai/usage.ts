/**
 * What a finished generation reports in OpenAI's terms: `usage` as OpenAI sends it, and `timings`,
 * an addition of ours as llama-server has one: where the request's time went. Owns the shapes only.
 */
import type {GenerationSummary} from "../../engine/types.ts";

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly prompt_tokens_details: {readonly cached_tokens: number};
}

/** Where one request's time went, in milliseconds (3 decimals), and its token counts. */
export interface Timings {
  readonly queue_ms: number;
  /** The prefill: first scheduled to first token. */
  readonly prompt_ms: number | null;
  /** From arrival at the server, tokenization included. */
  readonly ttft_ms: number | null;
  /** (e2e_ms - ttft_ms) / (generated_tokens - 1). */
  readonly tpot_ms: number | null;
  readonly e2e_ms: number;
  readonly prompt_tokens: number;
  readonly cached_tokens: number;
  readonly generated_tokens: number;
  /** Only when the request was decoded speculatively. */
  readonly draft_tokens?: number;
  readonly draft_accepted_tokens?: number;
  readonly draft_acceptance_rate?: number | null;
  /** Only when a grammar (`response_format`) constrained the output. */
  readonly constrained?: true;
}

function roundMs(ms: number): number;
function roundMs(ms: number | null): number | null;
function roundMs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 1000) / 1000;
}

export function timingsOf(summary: GenerationSummary): Timings {
  const {timings, speculation} = summary;
  return {
    queue_ms: roundMs(timings.queueMs),
    prompt_ms: roundMs(timings.promptMs),
    ttft_ms: roundMs(timings.timeToFirstTokenMs),
    tpot_ms: roundMs(timings.timePerOutputTokenMs),
    e2e_ms: roundMs(timings.totalMs),
    prompt_tokens: summary.numPromptTokens,
    cached_tokens: summary.numCachedPromptTokens,
    generated_tokens: summary.numOutputTokens,
    ...(speculation ? {
      draft_tokens: speculation.numDraftTokens,
      draft_accepted_tokens: speculation.numAcceptedTokens,
      draft_acceptance_rate: speculation.numDraftTokens === 0 ? null : speculation.numAcceptedTokens / speculation.numDraftTokens
    } : {}),
    ...(summary.isConstrained ? {constrained: true as const} : {})
  };
}

export function usageOf(summary: GenerationSummary): Usage {
  return {
    prompt_tokens: summary.numPromptTokens,
    completion_tokens: summary.numOutputTokens,
    total_tokens: summary.numPromptTokens + summary.numOutputTokens,
    prompt_tokens_details: {cached_tokens: summary.numCachedPromptTokens}
  };
}
