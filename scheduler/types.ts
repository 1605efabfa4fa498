/**
 * The records that flow between the scheduler and the engine. Plain, readonly data: the scheduler
 * decides what each decode step contains; the engine executes it and reports back. Nothing here
 * knows about node-llama-cpp, HTTP or text; tokens are plain numbers.
 *
 * Token layout of one request (the scheduler's whole view of it):
 *
 *   allTokens = promptTokens ++ outputTokens
 *   |<------------- promptTokens ------------->|<-- outputTokens -->|
 *   |<------ numComputedTokens ------>|<- scheduled this step ->|
 *
 * A step feeds `allTokens[numComputedTokens .. numComputedTokens + n)` into the request's sequence.
 * When that slice reaches the end of `allTokens`, the step also samples one new token, which the
 * engine reports in the step result and the scheduler appends to `outputTokens`. So a decode step is
 * simply a step with n = 1, prefill is a step with n > 1, and there is no separate phase for either.
 */

import type {SpeculationPolicyOptions} from "./SpeculationPolicy.ts";
import type {TargetItlMs} from "./StepPacer.ts";

export type {SpeculationPolicyOptions, TargetItlMs};

/** Lifecycle of a request inside the scheduler. */
export type RequestStatus = "waiting" | "running" | "preempted" | "finished";

/** OpenAI's finish reasons, plus the ones a server needs for requests that never complete normally. */
export type FinishReason = "stop" | "length" | "abort" | "error" | "timeout";

/** Queue discipline: first come first served, or by `priority` (lower first, ties FCFS). */
export type SchedulingPolicy = "fcfs" | "priority";

/** What the engine hands the scheduler for one request. */
export interface SchedulerRequestSpec {
  readonly id: string;
  readonly promptTokens: readonly number[];
  /** Most tokens to generate; the scheduler finishes the request with "length" when reached. */
  readonly maxTokens: number;
  /** Lower runs first under the "priority" policy. Default 0. */
  readonly priority: number;
  /** Clock reading at arrival, from the scheduler's injected clock. */
  readonly arrivalMs: number;
  /** Absolute clock reading after which the request is ended with "timeout"; undefined = none. */
  readonly deadlineMs?: number;
  /** False: never speculate for this request, even when the server does. Default true. */
  readonly isSpeculationAllowed?: boolean;
  /** False: compute the whole prompt, never reusing a cached prefix (its positions are scored). Default true. */
  readonly isPrefixReuseAllowed?: boolean;
  /**
   * Another choice of the same prompt (`n` > 1): with `canCopySequences`, this request waits until
   * that one has its prompt in its sequence, then starts from a copy of it, so the prompt is computed
   * once. Undefined, or once that request is gone: placed like any other.
   */
  readonly forkOf?: string;
}

export interface SchedulerConfig {
  /** Number of sequences (slots) of the context: at most this many requests run at once. */
  readonly numSequences: number;
  /** Tokens one sequence can hold (prompt + output). A request reaching it finishes with "length". */
  readonly sequenceCapacity: number;
  /** Upper bound on tokens fed into one step, decodes and prefill chunks together. */
  readonly maxNumBatchedTokens: number;
  /** Waiting requests beyond this are refused by `addRequest`. */
  readonly maxQueueLength: number;
  readonly policy: SchedulingPolicy;
  /** When true, a waiting request of better priority may pause the worst running one. */
  readonly isPreemptionEnabled: boolean;
  /** Injected clock in milliseconds; tests pass a fake one. */
  readonly clock: () => number;
  /** Tokens per KV block, the KV ledger's unit of accounting (usage, hashes, eviction). Default 16. */
  readonly blockSize?: number;
  /** Cached prefixes shorter than this count as misses at placement (see kvcache's KvCacheConfig). Default 0. */
  readonly minPrefixMatchTokens?: number;
  /** False: never reuse a cached prefix (every request prefills in full); for comparisons. Default true. */
  readonly isPrefixCachingEnabled?: boolean;
  /** Saved prefixes outside the sequences (the engine's host-memory tier), consulted at placement. */
  readonly hostPrefixIndex?: HostPrefixIndex;
  /** The engine can copy one sequence's state into another (`forkOf` placements). Default false. */
  readonly canCopySequences?: boolean;
  /** Speculative decoding's adaptive rule; undefined: the engine has no drafter, nothing speculates. */
  readonly speculation?: SpeculationPolicyOptions;
  /**
   * The inter-token latency that prefill beside decodes is sized for (StepPacer.ts): milliseconds,
   * or "auto" (a multiple of the measured decode step). 0 or undefined: prefill takes whatever the
   * token budget leaves.
   */
  readonly targetItlMs?: TargetItlMs;
}

/**
 * A synchronous view of prefixes the engine saved outside the sequences (host memory) and can restore
 * into one. The scheduler only asks; saving and restoring are the engine's.
 */
export interface HostPrefixIndex {
  /** The saved state sharing the longest token prefix with `tokens`, or null. */
  findLongestPrefix(tokens: readonly number[]): HostPrefixMatch | null;
}

export interface HostPrefixMatch {
  /** Names the saved state for the engine. */
  readonly key: string;
  /** Tokens of `tokens` the saved state holds, counted from the start. */
  readonly numTokens: number;
  /** The saved state's whole token content (what the sequence holds right after the restore). */
  readonly tokens: readonly number[];
}

export type AddRequestResult =
  | {readonly isAccepted: true}
  | {readonly isAccepted: false; readonly reason: "queue_full" | "too_long" | "duplicate_id"};

/** One request's share of a step. */
export interface ScheduledRequest {
  readonly requestId: string;
  /** Index of the context sequence the request occupies (0 .. numSequences-1). */
  readonly sequenceIndex: number;
  /**
   * True on the first step after the request was placed into its sequence (first admission or resume
   * after preemption), and on the retry of a sampling step that reported no token: the engine must
   * first trim the sequence to `numComputedTokens` tokens.
   */
  readonly isNewlyPlaced: boolean;
  /** Tokens already in the sequence before this step (the position of `tokens[0]`). */
  readonly numComputedTokens: number;
  /** Tokens to feed this step. */
  readonly tokens: readonly number[];
  /** True when the step must sample a new token for this request (its slice reaches the end). */
  readonly isSampling: boolean;
  /**
   * Set on the first step after a placement that reuses a prefix from the host-memory tier: the engine
   * loads that saved state into the sequence before trimming it to `numComputedTokens`.
   */
  readonly restoreFrom?: {readonly key: string};
  /**
   * Set on the first step after a placement that starts from a copy of another running request's
   * sequence (its prompt): the engine copies that sequence's state before trimming to `numComputedTokens`.
   */
  readonly copyFrom?: {readonly sequenceIndex: number};
  /**
   * Most draft tokens the engine may propose and verify after `tokens` (speculative decoding); 0 for
   * no speculation. Only a sampling decode (one token fed) gets more than 0. The step's budget counts
   * them, and accepted ones enter the sequence: the engine reports them as sampled tokens, after which
   * all but the last sampled token are computed.
   */
  readonly maxNumDraftTokens: number;
}

/** The scheduler's decision for one step. */
export interface SchedulerOutput {
  readonly stepId: number;
  readonly scheduled: readonly ScheduledRequest[];
  /** Sum of `tokens.length + maxNumDraftTokens` over `scheduled`; never above `maxNumBatchedTokens`. */
  readonly numScheduledTokens: number;
  /** Requests paused this step; their sequences were released. */
  readonly preemptedIds: readonly string[];
}

/** What the engine reports after executing a step. */
export interface StepResult {
  readonly stepId: number;
  /**
   * Tokens sampled this step per request: one without speculation; with it, the accepted draft tokens
   * (already fed into the sequence) followed by the target's own next token (not yet fed).
   */
  readonly sampledTokens: ReadonlyMap<string, readonly number[]>;
  /** Per request that speculated: draft tokens verified and how many of them were accepted. */
  readonly draftCounts?: ReadonlyMap<string, DraftCounts>;
  /** Requests the engine ended itself (EOG token, stop string, engine fault), with the reason. */
  readonly stoppedIds: ReadonlyMap<string, FinishReason>;
}

export interface DraftCounts {
  readonly numDraftTokens: number;
  readonly numAcceptedTokens: number;
}

/** A request that left the scheduler, by any route. */
export interface FinishedRequest {
  readonly requestId: string;
  readonly reason: FinishReason;
  readonly outputTokens: readonly number[];
  /** Sequence it held, if any; free again. */
  readonly sequenceIndex: number | null;
}

/** A point-in-time view for metrics and health. */
export interface SchedulerStats {
  readonly numWaiting: number;
  readonly numRunning: number;
  readonly numPreempted: number;
  readonly numFreeSequences: number;
  readonly numPreemptionsTotal: number;
  /** Tokens looked up in idle sequences at placement (the whole `allTokens` of each placed request). */
  readonly numPrefixQueryTokensTotal: number;
  /** Of those, tokens not recomputed: found in the chosen sequence or restored from the host tier. */
  readonly numPrefixHitTokensTotal: number;
  /** Of the hits, tokens restored from the host-memory tier (the rest were resident in a sequence). */
  readonly numHostPrefixHitTokensTotal: number;
  /** Placements that overwrote tokens an idle sequence held, because the new request diverged from them. */
  readonly numPrefixEvictionsTotal: number;
  /** Fraction of KV blocks held by running requests, 0..1 (`numKvBlocksUsed / numKvBlocksTotal`). */
  readonly kvUsage: number;
  /** KV blocks held by running requests, counting those allocated for the step in flight. */
  readonly numKvBlocksUsed: number;
  /** All KV blocks: numSequences * ceil(sequenceCapacity / blockSize). */
  readonly numKvBlocksTotal: number;
  /** Tokens per KV block (`blockSize`), for consumers that size their own view of the cache by it. */
  readonly kvBlockSize: number;
  /** Speculative decoding's moving acceptance rate; null when nothing speculates. */
  readonly draftAcceptanceRate: number | null;
}

/** A snapshot of one context sequence as the scheduler accounts for it. */
export interface SequenceView {
  readonly index: number;
  /** The running request placed in it; null when the sequence is free. */
  readonly ownerId: string | null;
  /**
   * Tokens the sequence holds: for an owned sequence its owner's `numComputedTokens`, for a free one
   * what its last owner left behind (reusable as a prefix by the next placement).
   */
  readonly numHeldTokens: number;
}
