/**
 * The scheduler: decides, step by step, which tokens of which requests go into the next batch. It
 * owns request lifecycles (admission, preemption, abort, deadlines, finishing) and applies executed
 * steps. The three passes that fill a step under its token budget are buildStep.ts's, the choice of
 * preemption victims is preemption.ts's, which request owns which sequence is SequenceTable's, the
 * queue order is RequestQueue's. The KV ledger (kvcache/) is the one record of the sequences: what
 * they hold, prefix-aware placement, how many are idle (so how many requests can be admitted) and
 * how long a sequence may grow. It does not run the model, sample, detokenize, match stop strings
 * or keep time (the clock is injected); it is pure and synchronous, and `schedule()` and `update()`
 * must alternate.
 */

import {KvCacheManager} from "../kvcache/index.ts";
import {buildStep} from "./buildStep.ts";
import {checkSchedulerInvariants, validateConfig, validateSpec} from "./checkInvariants.ts";
import {forkSourceOf, nextAdmissible} from "./forkSource.ts";
import {choosePreemptionVictims} from "./preemption.ts";
import {RequestQueue} from "./RequestQueue.ts";
import {SequenceTable} from "./SequenceTable.ts";
import {lengthReason, type RequestState} from "./RequestState.ts";
import {StepPacer} from "./StepPacer.ts";
import {StepSpeculation} from "./StepSpeculation.ts";
import type {
  AddRequestResult, FinishReason, FinishedRequest, SchedulerConfig, SchedulerOutput, SchedulerRequestSpec,
  SchedulerStats, SequenceView, StepResult
} from "./types.ts";

/** @internal What the last `schedule()` did, kept so invariants can verify the budget and decode-first. */
export interface StepAccounting {
  readonly output: SchedulerOutput;
  readonly numDecodeCandidates: number;
  readonly numDecodesScheduled: number;
}

/** A pure, synchronous continuous-batching scheduler over a fixed set of context sequences. */
export class Scheduler {
  readonly #config: SchedulerConfig;
  readonly #requests = new Map<string, RequestState>();
  readonly #queue: RequestQueue<RequestState>;
  /** Running requests in admission order. */
  readonly #running: RequestState[] = [];
  readonly #kvCache: KvCacheManager;
  readonly #sequences: SequenceTable<RequestState>;
  readonly #speculation: StepSpeculation | null;
  readonly #pacer: StepPacer | null;
  #numWaiting = 0;
  #numArrivals = 0;
  #numAdmissions = 0;
  #lastStepId = 0;
  #numPreemptionsTotal = 0;
  #lastStep: StepAccounting | null = null;
  /** The step awaiting `update()`, with the request objects it scheduled (ids may be reused later). */
  #inFlight: {readonly stepId: number; readonly owners: Map<string, RequestState>} | null = null;

  constructor(config: SchedulerConfig) {
    validateConfig(config);
    this.#config = config;
    this.#queue = new RequestQueue(config.policy);
    const {numSequences, sequenceCapacity, blockSize, minPrefixMatchTokens} = config;
    this.#kvCache = new KvCacheManager({numSequences, sequenceCapacity, blockSize, minPrefixMatchTokens});
    this.#sequences = new SequenceTable(this.#kvCache, {
      isPrefixCachingEnabled: config.isPrefixCachingEnabled ?? true,
      hostPrefixIndex: config.hostPrefixIndex
    });
    this.#speculation = config.speculation ? new StepSpeculation(config.speculation, config.clock, this.#kvCache.sequenceCapacity) : null;
    this.#pacer = config.targetItlMs ? new StepPacer(config.targetItlMs, config.clock) : null;
  }

  /** Queues a request. Throws RangeError on a malformed spec; refusals are returned, not thrown. */
  addRequest(spec: SchedulerRequestSpec): AddRequestResult {
    validateSpec(spec);
    if (this.#requests.has(spec.id)) return {isAccepted: false, reason: "duplicate_id"};
    // At least one token must be generable: the prompt plus one output token must fit the sequence.
    if (spec.promptTokens.length >= this.#kvCache.sequenceCapacity) return {isAccepted: false, reason: "too_long"};
    if (this.#numWaiting >= this.#config.maxQueueLength) return {isAccepted: false, reason: "queue_full"};
    const request: RequestState = {
      id: spec.id, numPromptTokens: spec.promptTokens.length, allTokens: [...spec.promptTokens],
      maxTokens: spec.maxTokens, priority: spec.priority, arrivalMs: spec.arrivalMs, deadlineMs: spec.deadlineMs,
      arrivalOrder: this.#numArrivals++, status: "waiting", isResuming: false, admissionOrder: -1,
      numComputedTokens: 0, sequenceIndex: null, isNewlyPlaced: false, restoreFrom: undefined, copyFrom: undefined,
      forkOf: this.#config.canCopySequences ? spec.forkOf : undefined,
      isSpeculationAllowed: spec.isSpeculationAllowed ?? true, isPrefixReuseAllowed: spec.isPrefixReuseAllowed ?? true
    };
    this.#requests.set(spec.id, request);
    this.#queue.push(request);
    this.#numWaiting++;
    return {isAccepted: true};
  }

  /** Ends a live request in any state and frees its sequence at once; null if unknown or finished. */
  abort(requestId: string, reason: FinishReason = "abort"): FinishedRequest | null {
    const request = this.#requests.get(requestId);
    return request === undefined ? null : this.#finish(request, reason);
  }

  /** Decides the next step. Throws if the previous non-empty step has not been passed to `update()`. */
  schedule(): SchedulerOutput {
    if (this.#inFlight !== null) throw new Error(`update() was not called for step ${this.#inFlight.stepId}`);
    const stepId = ++this.#lastStepId;
    const preemptedIds = this.#preemptForBetterPriority();
    const {scheduled, numScheduledTokens, numDecodeCandidates, numDecodesScheduled} = buildStep({
      maxNumBatchedTokens: this.#config.maxNumBatchedTokens, running: this.#running, sequences: this.#sequences,
      speculation: this.#speculation, pacer: this.#pacer, admitNext: () => this.#admitNext()
    });
    const output = {stepId, scheduled, numScheduledTokens, preemptedIds};
    this.#lastStep = {output, numDecodeCandidates, numDecodesScheduled};
    if (scheduled.length > 0) {
      this.#inFlight = {stepId, owners: new Map(scheduled.map(({requestId}) => [requestId, this.#requests.get(requestId)!]))};
    }
    return output;
  }

  /**
   * Applies an executed step: advances `numComputedTokens`, appends sampled tokens (never past
   * `maxTokens` or the sequence capacity) and ends requests that are done: those in `stoppedIds`
   * (with their reason, after appending what they sampled), then those at `maxTokens` or at capacity.
   * A sampling request with neither a token nor a stop is retried next step, with `isNewlyPlaced` set
   * so the engine trims the last token before feeding it again. Requests aborted since `schedule()`
   * are skipped. An empty output may be passed at any time, to apply `stoppedIds` alone.
   */
  update(output: SchedulerOutput, result: StepResult): FinishedRequest[] {
    if (result.stepId !== output.stepId) throw new Error(`step result ${result.stepId} is for another step than ${output.stepId}`);
    let owners = new Map<string, RequestState>();
    if (output.scheduled.length > 0) {
      if (this.#inFlight?.stepId !== output.stepId) throw new Error(`step ${output.stepId} is not the step awaiting update()`);
      owners = this.#inFlight.owners;
      this.#inFlight = null;
    }
    const finished: FinishedRequest[] = [];
    let numOutputTokens = 0;
    for (const {requestId, tokens, isSampling, maxNumDraftTokens} of output.scheduled) {
      const request = owners.get(requestId);
      // An aborted request is "finished" here even if its id was reused since.
      if (request?.status !== "running") continue;
      request.numComputedTokens += tokens.length;
      const sampled = result.sampledTokens.get(requestId) ?? [];
      if (sampled.length > 1 + maxNumDraftTokens) throw new RangeError(`request ${requestId} reports ${sampled.length} tokens for ${maxNumDraftTokens} drafts`);
      const numAppended = isSampling ? this.#appendSampled(request, sampled) : 0;
      numOutputTokens += numAppended;
      // Accepted draft tokens were fed with the verify pass: they are in the sequence already.
      const numAcceptedKept = Math.min(numAppended, sampled.length - 1);
      if (numAcceptedKept > 0) {
        this.#sequences.allocate(request.sequenceIndex!, numAcceptedKept);
        request.numComputedTokens += numAcceptedKept;
      }
      const reason = result.stoppedIds.get(requestId) ?? lengthReason(request, this.#kvCache.sequenceCapacity);
      if (reason !== undefined) {
        finished.push(this.#finish(request, reason));
      } else if (isSampling && numAppended === 0) {
        // No token and no stop: feed the last token again, trimming it from the sequence first.
        request.numComputedTokens = request.allTokens.length - 1;
        request.isNewlyPlaced = true;
      }
    }
    if (output.scheduled.length > 0) {
      this.#speculation?.endStep(output, result, numOutputTokens);
      this.#pacer?.endStep();
    }
    for (const [requestId, reason] of result.stoppedIds) {
      const request = this.#requests.get(requestId);
      // A scheduled id whose request was aborted since schedule() may now name a newer request.
      if (request !== undefined && (owners.get(requestId) ?? request) === request) finished.push(this.#finish(request, reason));
    }
    return finished;
  }

  /** Ends with "timeout" every live request whose `deadlineMs` is earlier than the clock's reading. */
  expireDeadlines(): FinishedRequest[] {
    const nowMs = this.#config.clock();
    const expired = [...this.#requests.values()].filter(({deadlineMs}) => deadlineMs !== undefined && nowMs > deadlineMs);
    return expired.map((request) => this.#finish(request, "timeout"));
  }

  get stats(): SchedulerStats {
    const kvCache = this.#kvCache;
    const {numPrefixQueryTokensTotal, numPrefixHitTokensTotal, numEvictionsTotal} = kvCache.counters;
    return {
      numWaiting: this.#numWaiting,
      numRunning: this.#running.length,
      numPreempted: this.#queue.size - this.#numWaiting,
      numFreeSequences: kvCache.numIdleSequences,
      numPreemptionsTotal: this.#numPreemptionsTotal,
      numPrefixQueryTokensTotal,
      numPrefixHitTokensTotal,
      numHostPrefixHitTokensTotal: this.#sequences.numHostHitTokensTotal,
      numPrefixEvictionsTotal: numEvictionsTotal,
      kvUsage: kvCache.usage(),
      numKvBlocksUsed: kvCache.numUsedBlocks,
      numKvBlocksTotal: kvCache.numBlocksTotal,
      kvBlockSize: kvCache.blockSize,
      draftAcceptanceRate: this.#speculation?.acceptanceRate ?? null
    };
  }

  /** True while anything is waiting, preempted or running. */
  hasWork(): boolean {
    return this.#requests.size > 0;
  }

  /** A snapshot of every sequence, by index. */
  getSequences(): SequenceView[] {
    return this.#sequences.views();
  }

  /** Throws an Error naming the first violated invariant of the scheduler's state or of its KV ledger. */
  checkInvariants(): void {
    this.#kvCache.checkInvariants();
    checkSchedulerInvariants({
      config: this.#config, requests: this.#requests, queue: this.#queue, running: this.#running,
      sequences: this.#sequences.slots, kvSequences: this.#kvCache.getSequences(), numWaiting: this.#numWaiting,
      lastStep: this.#lastStep, stats: this.stats
    });
  }

  /**
   * Pauses the running requests preemption.ts chooses for better-priority queued ones that find no
   * idle sequence. Their sequences keep what they computed, so a resume may reuse it.
   */
  #preemptForBetterPriority(): string[] {
    if (!this.#config.isPreemptionEnabled || this.#config.policy !== "priority") return [];
    const victims = choosePreemptionVictims(this.#queue, this.#running, this.#kvCache.numIdleSequences);
    for (const victim of victims) {
      this.#release(victim, true);
      victim.status = "preempted";
      victim.isResuming = true;
      victim.numComputedTokens = 0;
    }
    // Queued only now, so that the walk above could not hand them the sequences they gave up.
    for (const victim of victims) this.#queue.push(victim);
    this.#numPreemptionsTotal += victims.length;
    return victims.map(({id}) => id);
  }

  /**
   * Admission: the best queued request that can start, if a sequence is idle (the ledger's count),
   * placed into one. A choice waiting for another's prompt (`forkOf`) is passed over until it can copy it.
   */
  #admitNext(): RequestState | undefined {
    if (this.#queue.size === 0 || this.#kvCache.numIdleSequences === 0) return undefined;
    const request = nextAdmissible(this.#queue, this.#requests);
    if (request === undefined) return undefined;
    this.#queue.remove(request);
    if (request.status === "waiting") this.#numWaiting--;
    this.#place(request);
    return request;
  }

  /** Moves a queued request into an idle sequence, reusing the longest prefix that sequence holds (or copying its fork source's). */
  #place(request: RequestState): void {
    const source = forkSourceOf(request, this.#requests);
    request.forkOf = undefined;
    const copySource = typeof source === "object" ? {sequenceIndex: source.sequenceIndex!, tokens: source.allTokens.slice(0, source.numPromptTokens)} : undefined;
    const {sequenceIndex, numReusedTokens, restoreFrom, copyFrom} = this.#sequences.place(request, copySource);
    request.restoreFrom = restoreFrom;
    request.copyFrom = copyFrom;
    request.status = "running";
    request.sequenceIndex = sequenceIndex;
    request.numComputedTokens = numReusedTokens;
    request.isNewlyPlaced = true;
    request.admissionOrder = this.#numAdmissions++;
    this.#running.push(request);
  }

  /** Frees a running request's sequence, which keeps the tokens fed so far for later prefix reuse. */
  #release(request: RequestState, isContentKnown: boolean): void {
    this.#sequences.release(request.sequenceIndex!, isContentKnown ? request.numComputedTokens : 0);
    this.#running.splice(this.#running.indexOf(request), 1);
    request.sequenceIndex = null;
  }

  /** Appends at most what `maxTokens` and the sequence capacity still allow; returns how many. */
  #appendSampled(request: RequestState, sampled: readonly number[]): number {
    const numOutput = request.allTokens.length - request.numPromptTokens;
    const room = Math.min(request.maxTokens - numOutput, this.#kvCache.sequenceCapacity - request.allTokens.length);
    const accepted = sampled.slice(0, Math.max(0, room));
    request.allTokens.push(...accepted);
    return accepted.length;
  }

  #finish(request: RequestState, reason: FinishReason): FinishedRequest {
    const sequenceIndex = request.sequenceIndex;
    if (request.status === "running") {
      // After an engine fault the sequence's content is unknown, so nothing in it may be reused.
      this.#release(request, reason !== "error");
    } else {
      this.#queue.remove(request);
      if (request.status === "waiting") this.#numWaiting--;
    }
    request.status = "finished";
    this.#requests.delete(request.id);
    return {requestId: request.id, reason, outputTokens: request.allTokens.slice(request.numPromptTokens), sequenceIndex};
  }
}
