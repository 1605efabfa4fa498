/**
 * Records that cross the engine's boundary: what the server asks for (a generation request), what it
 * gets back (token deltas and a final summary), and what the engine reports to observers (a record of
 * every decode step, and one of every finished request, for tests and metrics). Plain readonly data;
 * no behaviour, no node-llama-cpp types, no metric library.
 */
import type {FinishReason} from "../scheduler/types.ts";

export type {FinishReason};

/** The variant label of requests that name none; canary routing names the others. */
export const DEFAULT_VARIANT = "default";

/** Sampling settings, OpenAI's names mapped to llama.cpp's samplers. */
export interface SamplingParams {
  /** 0 means greedy. */
  readonly temperature: number;
  readonly topP: number;
  /** 0 disables top-k. */
  readonly topK: number;
  readonly minP: number;
  /** Fixed seed for reproducible sampling; undefined picks one per request. */
  readonly seed?: number;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
}

/**
 * A decoding constraint: every sampled token keeps the output a prefix of a sentence of the grammar,
 * and once a sentence is complete only end-of-generation may follow.
 */
export interface GrammarSpec {
  /** GBNF text with a `root` rule. */
  readonly text: string;
  /** Equal keys name equal grammars: compiled grammars are cached by it. */
  readonly cacheKey: string;
}

/** Log-probabilities asked for: each token's own, and the `numTop` most likely tokens at its position (0 to 20). */
export interface LogprobOptions {
  readonly numTop: number;
}

/** The most log-probabilities a position reports. */
export const MAX_TOP_LOGPROBS = 20;

/** A token's raw log-probability (the model's distribution, before temperature, penalties and grammars). */
export interface ScoredToken {
  readonly token: number;
  readonly logprob: number;
}

/** What the executor reports for a position: the token there and the most likely alternatives, best first. */
export interface PositionLogprobs extends ScoredToken {
  readonly top: readonly ScoredToken[];
}

/** A scored token as clients see it: its text (lossy for a piece of a character) and exact bytes. */
export interface TokenChoice extends ScoredToken {
  readonly text: string;
  readonly bytes: readonly number[];
}

/** One token's log-probabilities in a delta: its own, with the bytes it added to the delta's text. */
export interface TokenLogprob extends TokenChoice {
  readonly top: readonly TokenChoice[];
}

/** A prompt token's entry: its log-probability given the tokens before it (the first has none: null). */
export interface PromptTokenLogprob {
  readonly token: number;
  readonly text: string;
  readonly bytes: readonly number[];
  readonly logprob: number | null;
  readonly top: readonly TokenChoice[] | null;
}

/** One generation as the server hands it to the engine: tokens in, limits and stops set. */
export interface GenerationRequest {
  readonly id: string;
  readonly promptTokens: readonly number[];
  readonly sampling: SamplingParams;
  /** Most tokens to generate; capped by what the sequence can still hold. */
  readonly maxTokens: number;
  /** Text stop sequences, matched across token boundaries; never included in the output. */
  readonly stop: readonly string[];
  /** Lower runs first under the priority policy. */
  readonly priority: number;
  /** Keep generating past end-of-generation tokens (fixed-length benchmarks), as vLLM's ignore_eos. */
  readonly isEndOfGenerationIgnored?: boolean;
  /** Clock reading when the request reached the server (before tokenization); defaults to submit time. */
  readonly arrivalMs?: number;
  /** Absolute clock reading after which the request is ended with "timeout". */
  readonly deadlineMs?: number;
  /** Which variant of the model serves it (canary routing); echoed in records. Default {@link DEFAULT_VARIANT}. */
  readonly variant?: string;
  /** False opts out of speculative decoding (the body's `"speculative": false`). Default true. */
  readonly isSpeculationAllowed?: boolean;
  /** Constrains the output to a grammar; undefined: free text. */
  readonly grammar?: GrammarSpec;
  /** Log-probabilities of the generated tokens; undefined: none. */
  readonly logprobs?: LogprobOptions;
  /**
   * The id of another request with the same prompt (`n` > 1): where the executor can copy sequences,
   * this one starts from a copy of that one's prompt once it is computed, so the prompt is prefilled once.
   */
  readonly forkOf?: string;
  /**
   * Log-probabilities of the prompt's tokens (every one after the first), for scoring a text; the
   * whole prompt is then computed, never taken from the prefix cache. Undefined: none.
   */
  readonly promptLogprobs?: LogprobOptions;
}

/** A piece of a request's output, as it streams. */
export interface TokenDelta {
  readonly text: string;
  readonly tokenIds: readonly number[];
  /**
   * With `logprobs`: the tokens whose text this delta completes, in order (a token trimmed by a stop
   * string is not reported; one cut by it reports the bytes that were kept).
   */
  readonly logprobs?: readonly TokenLogprob[];
}

/**
 * Timings of one finished request, in milliseconds. Arrival is when the server got the request, so
 * tokenization and queueing count:
 *
 *   arrival          first scheduled       first token                     finished
 *   |<-- queueMs --->|<---- promptMs ----->|
 *   |<-------- timeToFirstTokenMs -------->|<-- (n - 1) x timePerOutputTokenMs -->|
 *   |<--------------------------------- totalMs --------------------------------->|
 */
export interface RequestTimings {
  /** Arrival to the first step that ran it (to the end, if it never ran). */
  readonly queueMs: number;
  /** First step that ran it to its first token: the prefill, chunked or not; null without a token. */
  readonly promptMs: number | null;
  readonly timeToFirstTokenMs: number | null;
  /** (totalMs - timeToFirstTokenMs) / (numOutputTokens - 1); null with fewer than two tokens. */
  readonly timePerOutputTokenMs: number | null;
  readonly totalMs: number;
}

/** Draft tokens proposed and accepted by speculative decoding for one request. */
export interface SpeculationCounts {
  readonly numDraftTokens: number;
  readonly numAcceptedTokens: number;
  /** Steps in which the request verified at least one draft token. */
  readonly numDrafts: number;
}

/** What a request ended with. */
export interface GenerationSummary {
  readonly finishReason: FinishReason;
  readonly numPromptTokens: number;
  readonly numCachedPromptTokens: number;
  readonly numOutputTokens: number;
  readonly timings: RequestTimings;
  /** Set only when the request was decoded speculatively. */
  readonly speculation?: SpeculationCounts;
  /** True when a grammar constrained the output. */
  readonly isConstrained?: boolean;
  /** With `promptLogprobs`: one entry per prompt token, the first without a log-probability (nothing precedes it). */
  readonly promptLogprobs?: readonly PromptTokenLogprob[];
  /** Set when finishReason is "error". */
  readonly errorMessage?: string;
}

/** One request's share of a step, and what it produced. */
export interface StepEntry {
  readonly requestId: string;
  readonly variant: string;
  readonly sequenceIndex: number;
  /** Tokens fed this step. */
  readonly numTokens: number;
  readonly isSampling: boolean;
  /** Output tokens the request kept from this step (an end-of-generation token is not kept). */
  readonly numOutputTokens: number;
  /** Set on the step that produced the request's first token: arrival to that token. */
  readonly timeToFirstTokenMs: number | null;
  /** Set on the steps that produced a later token: time since the request's previous token. */
  readonly interTokenLatencyMs: number | null;
}

/** What one decode step contained: the evidence that batching is real, and per-token timings. */
export interface StepRecord {
  readonly stepId: number;
  readonly entries: readonly StepEntry[];
  readonly numTokens: number;
  /** llama_decode calls the step took: 1 when every entry shared one batch. */
  readonly numDecodeCalls: number;
  readonly durationMs: number;
}

/** A request that left the engine by any route (finished, stopped, aborted, failed, timed out). */
export interface FinishedGenerationRecord {
  readonly requestId: string;
  readonly variant: string;
  readonly summary: GenerationSummary;
}
