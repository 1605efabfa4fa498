/**
 * The executor contract: run one scheduler step on a model and report what was sampled. The engine
 * loop talks only to this interface, so its tests run on a fake executor and production runs on
 * node-llama-cpp. It owns no policy: which tokens go into a step is the scheduler's decision.
 */
import type {DraftCounts, HostPrefixIndex, SchedulerOutput} from "../../scheduler/types.ts";
import type {GenerationRequest, PositionLogprobs, SamplingParams} from "../types.ts";

/** How to sample the next token of one request in one step. */
export interface SamplingPlan {
  readonly sampling: SamplingParams;
  /**
   * Seeds of this step's draws, derived from the request's seed and output position: the first for
   * the token after the fed ones, then one per draft position verified (1 + maxNumDraftTokens). A
   * token at a given position is drawn with the same seed whether or not drafts precede it, so
   * speculation does not change a seeded output.
   */
  readonly stepSeeds: readonly number[];
  /** Tokens that presence/frequency penalties count (the request's output so far). */
  readonly penaltyTokens: readonly number[];
  /** Report each sampled token's log-probability and this many alternatives; undefined: none. */
  readonly numTopLogprobs?: number;
}

/** A request whose prompt tokens are scored as they are prefilled (echo with logprobs). */
export interface PromptScoring {
  readonly numTop: number;
  readonly promptTokens: readonly number[];
}

/** Outcome of one step. A failure is per request: other requests of the step are unaffected. */
export interface ExecutedStep {
  /** Per sampling request: accepted draft tokens, then the target's own next token (see StepResult). */
  readonly sampledTokens: ReadonlyMap<string, readonly number[]>;
  /** Per request that speculated this step. */
  readonly draftCounts: ReadonlyMap<string, DraftCounts>;
  readonly failures: ReadonlyMap<string, Error>;
  /** Per request that asked: the log-probabilities of its sampled tokens, aligned with `sampledTokens`. */
  readonly logprobs?: ReadonlyMap<string, readonly PositionLogprobs[]>;
  /** Per request with prompt scoring: the scores of the prompt positions fed this step, by position of the token scored. */
  readonly promptScores?: ReadonlyMap<string, ReadonlyMap<number, PositionLogprobs>>;
  /** llama_decode calls the step took; 1 when the whole step went into one batch. */
  readonly numDecodeCalls: number;
}

export interface StepExecutor extends AsyncDisposable {
  readonly numSequences: number;
  /** Tokens one sequence can hold. */
  readonly sequenceCapacity: number;
  /** Upper bound on tokens in one decode call. */
  readonly batchSize: number;
  /** Prefixes the executor saved outside its sequences and can restore, for the scheduler's placement. */
  readonly hostPrefixStore?: HostPrefixIndex;
  /** True when it can enforce a request's grammar; requests with one are refused otherwise. */
  readonly canConstrain?: boolean;
  /** True when it can report log-probabilities (sampled and prompt tokens); requests asking are refused otherwise. */
  readonly canScore?: boolean;
  /** True when it can start a sequence from a copy of another's state (ScheduledRequest.copyFrom). */
  readonly canCopySequences?: boolean;
  /**
   * Prepares what a request keeps across its steps (its grammar state), before it is queued. Throws
   * an EngineError when the request cannot run here (a grammar that does not compile).
   */
  beginRequest?(request: GenerationRequest): void;
  /** Frees what `beginRequest` prepared; called once the request has left the engine. */
  endRequest?(requestId: string): void;
  executeStep(output: SchedulerOutput, plans: ReadonlyMap<string, SamplingPlan>, scoring?: ReadonlyMap<string, PromptScoring>): Promise<ExecutedStep>;
}
