/**
 * The engine loop: turns scheduler decisions into executed steps and per-request streams of text.
 * Each iteration is schedule -> execute -> update, as in nano-vllm and vLLM; a request that arrives
 * while others generate joins at the next step. Owns per-request output state (detokenizing, stop
 * strings, timings) and the loop's lifecycle; does not own scheduling policy (scheduler/) nor the
 * model (the executor). Observers (tests, the server's metrics) get plain records through events: a
 * "step" record per decode step and a "requestFinished" record per request; the engine knows nothing
 * of how they are exported.
 */
import {randomUUID} from "node:crypto";
import {EventEmitter} from "node:events";
import {DEFAULT_BLOCK_SIZE} from "../kvcache/index.ts";
import {Scheduler} from "../scheduler/Scheduler.ts";
import type {
  FinishReason, FinishedRequest, ScheduledRequest, SchedulerOutput, SchedulerStats, SchedulingPolicy, SpeculationPolicyOptions, TargetItlMs
} from "../scheduler/types.ts";
import {checkSubmittable, refusalError} from "./admission.ts";
import {EngineError} from "./errors.ts";
import type {ExecutedStep, StepExecutor} from "./executor/types.ts";
import {GenerationStream} from "./GenerationStream.ts";
import {RequestOutput, type TokenDescriber} from "./RequestOutput.ts";
import {planStep, takeStep} from "./stepResults.ts";
import {type Detokenize, IncrementalDetokenizer, type TextStreamDecoder} from "./text/IncrementalDetokenizer.ts";
import {DEFAULT_VARIANT, type FinishedGenerationRecord, type GenerationRequest, type StepEntry, type StepRecord} from "./types.ts";

export interface EngineOptions {
  readonly executor: StepExecutor;
  readonly detokenize: Detokenize;
  /** Each request's text decoder; default: one over `detokenize`. Exact where token bytes are known. */
  readonly createTextDecoder?: () => TextStreamDecoder;
  /** A token's text and bytes, for log-probabilities; default: from `detokenize`. */
  readonly describeToken?: TokenDescriber;
  readonly isEndOfGeneration: (token: number) => boolean;
  /** Defaults to the executor's batch size. */
  readonly maxNumBatchedTokens?: number;
  /** The inter-token latency prefill beside decodes is sized for (the scheduler's StepPacer); default: no bound. */
  readonly targetItlMs?: TargetItlMs;
  readonly maxQueueLength?: number;
  readonly policy?: SchedulingPolicy;
  readonly isPreemptionEnabled?: boolean;
  /** False: no prefix reuse at all, every request prefills in full (for comparisons). Default true. */
  readonly isPrefixCachingEnabled?: boolean;
  /** Requests still unfinished this long after arrival end with "timeout"; undefined = no limit. */
  readonly requestTimeoutMs?: number;
  /** Speculative decoding's adaptive rule; only for an executor that can draft. Undefined: off. */
  readonly speculation?: SpeculationPolicyOptions;
  readonly clock?: () => number;
}

export interface EngineEvents {
  step: [record: StepRecord];
  requestFinished: [record: FinishedGenerationRecord];
}

export class Engine extends EventEmitter<EngineEvents> implements AsyncDisposable {
  readonly scheduler: Scheduler;
  private readonly states = new Map<string, RequestOutput>();
  /** Requests to end at the next step boundary, with the reason they end with. */
  private readonly pendingAborts = new Map<string, FinishReason>();
  private readonly clock: () => number;
  private loop: Promise<void> | null = null;
  private isAccepting = true;
  private numStepsTotal = 0;
  private readonly describeToken: TokenDescriber;

  constructor(private readonly options: EngineOptions) {
    super();
    const {executor} = options;
    this.clock = options.clock ?? (() => performance.now());
    this.describeToken = options.describeToken ?? ((token) => {
      const text = options.detokenize([token], []);
      return {text, bytes: [...new TextEncoder().encode(text)]};
    });
    this.scheduler = new Scheduler({
      numSequences: executor.numSequences,
      sequenceCapacity: executor.sequenceCapacity,
      maxNumBatchedTokens: Math.min(options.maxNumBatchedTokens ?? executor.batchSize, executor.batchSize),
      targetItlMs: options.targetItlMs,
      maxQueueLength: options.maxQueueLength ?? 256,
      policy: options.policy ?? "fcfs",
      isPreemptionEnabled: options.isPreemptionEnabled ?? false,
      clock: this.clock,
      isPrefixCachingEnabled: options.isPrefixCachingEnabled ?? true,
      // Reusing less than a block is not worth overwriting another conversation's cached prefix.
      minPrefixMatchTokens: DEFAULT_BLOCK_SIZE,
      hostPrefixIndex: executor.hostPrefixStore,
      canCopySequences: executor.canCopySequences === true,
      speculation: options.speculation
    });
  }

  /** Tokens one request can hold, prompt and output together. */
  get numSequences(): number {
    return this.options.executor.numSequences;
  }

  get sequenceCapacity(): number {
    return this.options.executor.sequenceCapacity;
  }

  get stats(): SchedulerStats & {readonly numStepsTotal: number} {
    return {...this.scheduler.stats, numStepsTotal: this.numStepsTotal};
  }

  /**
   * Runs one short greedy generation (a prefill, then a decode) so that lazy native set-up (compute
   * buffers, GPU kernels) happens now rather than in the first user's time to first token. Call it
   * before attaching observers that should not see it; resolves with how long it took.
   */
  async warmUp(promptTokens: readonly number[]): Promise<number> {
    const startMs = this.clock();
    const {summary} = await this.submit({
      id: `warmup-${randomUUID()}`,
      promptTokens: promptTokens.slice(0, Math.max(1, this.sequenceCapacity - 2)),
      sampling: {temperature: 0, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0},
      maxTokens: 2,
      stop: [],
      priority: 0,
      isEndOfGenerationIgnored: true
    }).collect();
    if (summary.finishReason === "error") throw new EngineError("model_load_failed", `warm-up failed: ${summary.errorMessage ?? "engine error"}`);
    return this.clock() - startMs;
  }

  /** Queues a request; it runs from the next step on. Throws {@link EngineError} when it cannot. */
  submit(request: GenerationRequest): GenerationStream {
    const {executor} = this.options;
    const capacity = this.sequenceCapacity;
    const numPromptTokens = request.promptTokens.length;
    checkSubmittable(request, {
      isAccepting: this.isAccepting, sequenceCapacity: capacity, canConstrain: executor.canConstrain === true, canScore: executor.canScore === true
    });
    if (this.states.has(request.id)) throw new EngineError("duplicate_request_id", "a request with this id is already running");
    executor.beginRequest?.(request);
    const now = this.clock();
    const arrivalMs = request.arrivalMs ?? now;
    const added = this.scheduler.addRequest({
      id: request.id,
      promptTokens: request.promptTokens,
      maxTokens: Math.max(1, Math.min(request.maxTokens, capacity - numPromptTokens)),
      priority: request.priority,
      isSpeculationAllowed: request.isSpeculationAllowed ?? true,
      isPrefixReuseAllowed: request.promptLogprobs === undefined,
      ...(request.forkOf !== undefined ? {forkOf: request.forkOf} : {}),
      arrivalMs,
      deadlineMs: request.deadlineMs ?? (this.options.requestTimeoutMs === undefined ? undefined : arrivalMs + this.options.requestTimeoutMs)
    });
    if (!added.isAccepted) {
      // A duplicate id's executor state belongs to the live request of that id.
      if (added.reason !== "duplicate_id") executor.endRequest?.(request.id);
      throw refusalError(added.reason);
    }
    const textDecoder = this.options.createTextDecoder?.() ?? new IncrementalDetokenizer(this.options.detokenize);
    const state = new RequestOutput(request, now, textDecoder, new GenerationStream(request.id, (id) => this.abort(id)), this.describeToken);
    this.states.set(request.id, state);
    this.ensureLoop();
    return state.stream;
  }

  /** Ends a request at the next step boundary (at once if the loop is idle). */
  abort(requestId: string, reason: FinishReason = "abort"): void {
    if (!this.states.has(requestId)) return;
    this.pendingAborts.set(requestId, reason);
    this.ensureLoop();
  }

  private ensureLoop(): void {
    this.loop ??= this.runLoop().finally(() => {
      this.loop = null;
      if (this.scheduler.hasWork() || this.pendingAborts.size > 0) this.ensureLoop();
    });
  }

  private async runLoop(): Promise<void> {
    for (;;) {
      this.applyAborts();
      for (const finished of this.scheduler.expireDeadlines()) this.finish(finished);
      if (!this.scheduler.hasWork()) return;
      const output = this.scheduler.schedule();
      if (output.scheduled.length === 0) {
        // Nothing could run this step (for example every request is waiting on a sequence being freed).
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      await this.executeStep(output);
    }
  }

  private async executeStep(output: SchedulerOutput): Promise<void> {
    const startMs = this.clock();
    const {plans, scoring, promptOnlyIds} = planStep(output, this.states, startMs);
    let executed: ExecutedStep;
    try {
      executed = await this.options.executor.executeStep(output, plans, scoring);
    } catch (error) {
      // A step that failed as a whole fails each of its requests; the scheduler still gets its update.
      const failure = error instanceof Error ? error : new Error(String(error));
      executed = {sampledTokens: new Map(), draftCounts: new Map(), failures: new Map(output.scheduled.map((entry) => [entry.requestId, failure])), numDecodeCalls: 0};
    }
    const endMs = this.clock();
    const {sampledTokens, stoppedIds} = takeStep(executed, {states: this.states, pendingAborts: this.pendingAborts, isEndOfGeneration: this.options.isEndOfGeneration}, endMs);
    // A prompt-only request (max_tokens 0) ends once its prompt is in, without a token.
    for (const requestId of promptOnlyIds) if (!stoppedIds.has(requestId)) stoppedIds.set(requestId, "length");
    // Built before the update: requests that finish this step leave `states` there.
    const entries = output.scheduled.map((entry) => this.stepEntryOf(entry, sampledTokens));
    const result = {stepId: output.stepId, sampledTokens, stoppedIds, draftCounts: executed.draftCounts};
    for (const finished of this.scheduler.update(output, result)) this.finish(finished);
    this.numStepsTotal++;
    this.emit("step", {
      stepId: output.stepId,
      entries,
      numTokens: output.numScheduledTokens,
      numDecodeCalls: executed.numDecodeCalls,
      durationMs: endMs - startMs
    });
  }

  private stepEntryOf(entry: ScheduledRequest, sampledTokens: ReadonlyMap<string, readonly number[]>): StepEntry {
    const state = this.states.get(entry.requestId);
    const numOutputTokens = sampledTokens.get(entry.requestId)?.length ?? 0;
    return {
      requestId: entry.requestId,
      variant: state?.variant ?? DEFAULT_VARIANT,
      sequenceIndex: entry.sequenceIndex,
      numTokens: entry.tokens.length,
      isSampling: entry.isSampling,
      numOutputTokens,
      timeToFirstTokenMs: numOutputTokens > 0 ? state?.timeToFirstTokenMs ?? null : null,
      interTokenLatencyMs: numOutputTokens > 0 ? state?.interTokenLatencyMs ?? null : null
    };
  }

  private applyAborts(): void {
    for (const [requestId, reason] of this.pendingAborts) {
      const finished = this.scheduler.abort(requestId, reason);
      if (finished) this.finish(finished);
      else if (this.states.delete(requestId)) this.options.executor.endRequest?.(requestId);
    }
    this.pendingAborts.clear();
  }

  private finish(finished: FinishedRequest): void {
    const state = this.states.get(finished.requestId);
    if (!state) return;
    this.states.delete(finished.requestId);
    this.options.executor.endRequest?.(finished.requestId);
    const summary = state.complete(finished, this.clock());
    this.emit("requestFinished", {requestId: finished.requestId, variant: state.variant, summary});
  }

  /**
   * Stops admitting; resolves when every running and waiting request has finished, or once
   * `timeoutMs` has passed, after ending the rest with "timeout" (they keep what they generated and
   * their clients get a final chunk).
   */
  async drain(timeoutMs = Infinity): Promise<void> {
    this.isAccepting = false;
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => this.endAll("timeout"), timeoutMs) : undefined;
    try {
      while (this.loop) await this.loop;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends every request at the next step boundary with `reason`. */
  endAll(reason: FinishReason): void {
    for (const requestId of this.states.keys()) this.pendingAborts.set(requestId, reason);
    this.ensureLoop();
  }

  /** Ends every request now (reason "abort") and waits for the loop; the executor's owner frees it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.isAccepting = false;
    this.endAll("abort");
    while (this.loop) await this.loop;
  }
}
