/**
 * Records that cross the engine's boundary: what the server asks for (a generation request), what it
 * gets back (token deltas and a final summary), and what each decode step contained (step records,
 * for tests and metrics). Plain readonly data; no behaviour, no node-llama-cpp types.
 */
import type {FinishReason} from "../scheduler/types.ts";

export type {FinishReason};

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
}

/** A piece of a request's output, as it streams. */
export interface TokenDelta {
  readonly text: string;
  readonly tokenIds: readonly number[];
}

/** Timings of one finished request, in milliseconds from its arrival. */
export interface RequestTimings {
  readonly queueMs: number;
  readonly timeToFirstTokenMs: number | null;
  readonly totalMs: number;
}

/** What a request ended with. */
export interface GenerationSummary {
  readonly finishReason: FinishReason;
  readonly numPromptTokens: number;
  readonly numCachedPromptTokens: number;
  readonly numOutputTokens: number;
  readonly timings: RequestTimings;
  /** Set when finishReason is "error". */
  readonly errorMessage?: string;
}

/** What one decode step contained: the evidence that batching is real. */
export interface StepRecord {
  readonly stepId: number;
  readonly entries: readonly {
    readonly requestId: string;
    readonly sequenceIndex: number;
    readonly numTokens: number;
    readonly isSampling: boolean;
  }[];
  readonly numTokens: number;
  /** llama_decode calls the step took: 1 when every entry shared one batch. */
  readonly numDecodeCalls: number;
  readonly durationMs: number;
}
