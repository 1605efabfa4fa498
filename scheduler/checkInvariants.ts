/**
 * The scheduler's consistency checks: validation of what comes in at its boundary (config, request
 * specs), and the invariants of its internal state, checked on demand (tests call them after every
 * step). Checks only read; they never repair. Scheduling decisions themselves live in Scheduler.ts;
 * the KV ledger checks its own books (kvcache/checkInvariants.ts), this file only that they agree
 * with the scheduler's.
 */

import {DEFAULT_BLOCK_SIZE, type KvSequenceView} from "../kvcache/index.ts";
import type {RequestQueue} from "./RequestQueue.ts";
import type {RequestState} from "./RequestState.ts";
import type {StepAccounting} from "./Scheduler.ts";
import type {SequenceSlot} from "./SequenceTable.ts";
import type {SchedulerConfig, SchedulerRequestSpec, SchedulerStats} from "./types.ts";

/** @internal What the invariant check reads of a scheduler. */
export interface SchedulerInternals {
  readonly config: SchedulerConfig;
  readonly requests: ReadonlyMap<string, RequestState>;
  readonly queue: RequestQueue<RequestState>;
  /** In admission order. */
  readonly running: readonly RequestState[];
  readonly sequences: readonly Readonly<SequenceSlot<RequestState>>[];
  /** The KV ledger's view of the same sequences, by index. */
  readonly kvSequences: readonly KvSequenceView[];
  readonly numWaiting: number;
  readonly lastStep: StepAccounting | null;
  readonly stats: SchedulerStats;
}

/** Throws RangeError on a config the scheduler cannot run with. */
export function validateConfig(config: SchedulerConfig): void {
  requireInteger("numSequences", config.numSequences, 1);
  // The smallest useful sequence holds one prompt token and one generated token.
  requireInteger("sequenceCapacity", config.sequenceCapacity, 2);
  requireInteger("maxNumBatchedTokens", config.maxNumBatchedTokens, 1);
  requireInteger("maxQueueLength", config.maxQueueLength, 1);
  if (config.policy !== "fcfs" && config.policy !== "priority") throw new RangeError(`unknown policy ${String(config.policy)}`);
  if (typeof config.clock !== "function") throw new RangeError("clock must be a function");
  if (config.blockSize !== undefined) requireInteger("blockSize", config.blockSize, 1);
}

/** Throws RangeError on a malformed request spec (a caller's bug, unlike a refusal). */
export function validateSpec(spec: SchedulerRequestSpec): void {
  // Sampling needs logits, which need at least one token fed.
  requireInteger("promptTokens.length", spec.promptTokens.length, 1);
  requireInteger("maxTokens", spec.maxTokens, 1);
  if (!Number.isFinite(spec.priority)) throw new RangeError(`priority must be finite, got ${spec.priority}`);
}

/** @internal Throws an Error naming the first violated invariant. */
export function checkSchedulerInvariants(state: SchedulerInternals): void {
  checkSequences(state);
  checkRunning(state);
  checkQueue(state);
  const {requests, queue, running, stats, config} = state;
  for (const [id, request] of requests) {
    assertInvariant(request.id === id, `request ${request.id} is filed under id ${id}`);
    assertInvariant(request.status !== "finished", `finished request ${id} is still live`);
    const numOutputTokens = request.allTokens.length - request.numPromptTokens;
    assertInvariant(numOutputTokens < request.maxTokens, `request ${id} has ${numOutputTokens} output tokens of ${request.maxTokens} yet is not finished`);
    assertInvariant(request.allTokens.length < config.sequenceCapacity, `request ${id} fills its sequence yet is not finished`);
  }
  assertInvariant(queue.size + running.length === requests.size,
    `${queue.size} queued + ${running.length} running != ${requests.size} live requests (a request is in two states or none)`);
  assertInvariant(stats.numPrefixHitTokensTotal <= stats.numPrefixQueryTokensTotal, "more prefix hits than prefix queries");
  checkLastStep(state);
  checkKvLedger(state);
}

function checkSequences({config, requests, sequences, running, stats}: SchedulerInternals): void {
  assertInvariant(sequences.length === config.numSequences, `${sequences.length} sequences, config says ${config.numSequences}`);
  let numFree = 0;
  sequences.forEach((slot, index) => {
    assertInvariant(slot.index === index, `sequence at ${index} calls itself ${slot.index}`);
    const owner = slot.owner;
    if (owner === null) {
      numFree++;
      return;
    }
    assertInvariant(requests.get(owner.id) === owner, `sequence ${index} is owned by ${owner.id}, which is not live`);
    assertInvariant(owner.status === "running", `sequence ${index} is owned by ${owner.id}, which is ${owner.status}`);
    assertInvariant(owner.sequenceIndex === index, `sequence ${index} is owned by ${owner.id}, which thinks it is in ${owner.sequenceIndex}`);
  });
  assertInvariant(numFree + running.length === config.numSequences,
    `${numFree} free + ${running.length} running != ${config.numSequences} sequences`);
  // The stats (and admission) count idle sequences in the KV ledger; the owners here must agree.
  assertInvariant(stats.numFreeSequences === numFree, `the KV ledger has ${stats.numFreeSequences} idle sequences, the sequence table ${numFree} unowned`);
  assertInvariant(stats.numRunning === running.length, `stats say ${stats.numRunning} running, books say ${running.length}`);
}

function checkRunning({config, requests, running, sequences}: SchedulerInternals): void {
  const seen = new Set<RequestState>();
  let previous: RequestState | undefined;
  for (const request of running) {
    assertInvariant(!seen.has(request), `request ${request.id} is listed twice as running`);
    seen.add(request);
    assertInvariant(requests.get(request.id) === request, `running request ${request.id} is not live`);
    assertInvariant(request.status === "running", `request ${request.id} in the running list is ${request.status}`);
    const index = request.sequenceIndex;
    assertInvariant(index !== null && sequences[index]?.owner === request, `running request ${request.id} does not own sequence ${index}`);
    assertInvariant(request.numComputedTokens >= 0 && request.numComputedTokens < request.allTokens.length,
      `running request ${request.id} has computed ${request.numComputedTokens} of ${request.allTokens.length} tokens; at least one must remain to feed`);
    assertInvariant(previous === undefined || previous.admissionOrder < request.admissionOrder, `running list is out of admission order at ${request.id}`);
    previous = request;
  }
  // Requests enter decode only through chunks that fit a step's budget, so all of them fit the next.
  const numDecodes = running.filter(({numComputedTokens, allTokens}) => numComputedTokens === allTokens.length - 1).length;
  assertInvariant(numDecodes <= config.maxNumBatchedTokens, `${numDecodes} requests in decode exceed the budget of ${config.maxNumBatchedTokens}`);
}

function checkQueue({config, requests, queue, numWaiting, stats}: SchedulerInternals): void {
  const seen = new Set<RequestState>();
  let previous: RequestState | undefined;
  let numWaitingSeen = 0;
  for (const request of queue) {
    assertInvariant(!seen.has(request), `request ${request.id} is queued twice`);
    seen.add(request);
    assertInvariant(requests.get(request.id) === request, `queued request ${request.id} is not live`);
    assertInvariant(request.status === "waiting" || request.status === "preempted", `queued request ${request.id} is ${request.status}`);
    assertInvariant(request.isResuming === (request.status === "preempted"), `queued request ${request.id} is misfiled as resuming or not`);
    assertInvariant(request.sequenceIndex === null && request.numComputedTokens === 0, `queued request ${request.id} still claims a sequence or computed tokens`);
    assertInvariant(previous === undefined || queue.compare(previous, request) < 0, `queue is out of order at ${request.id}`);
    if (request.status === "waiting") numWaitingSeen++;
    previous = request;
  }
  assertInvariant(numWaitingSeen === numWaiting && stats.numWaiting === numWaiting, `waiting count is ${numWaiting}, queue holds ${numWaitingSeen}`);
  assertInvariant(numWaiting <= config.maxQueueLength, `${numWaiting} waiting exceeds maxQueueLength ${config.maxQueueLength}`);
  assertInvariant(stats.numPreempted === queue.size - numWaiting, `stats say ${stats.numPreempted} preempted, queue holds ${queue.size - numWaiting}`);
}

function checkLastStep({config, lastStep}: SchedulerInternals): void {
  if (lastStep === null) return;
  const {output, numDecodeCandidates, numDecodesScheduled} = lastStep;
  const budget = config.maxNumBatchedTokens;
  const numTokens = output.scheduled.reduce((sum, {tokens, maxNumDraftTokens}) => sum + tokens.length + maxNumDraftTokens, 0);
  assertInvariant(numTokens === output.numScheduledTokens, `step ${output.stepId} says ${output.numScheduledTokens} tokens but holds ${numTokens}`);
  assertInvariant(numTokens <= budget, `step ${output.stepId} holds ${numTokens} tokens, over the budget of ${budget}`);
  assertInvariant(output.scheduled.every(({tokens}) => tokens.length > 0), `step ${output.stepId} schedules an empty chunk`);
  for (const {requestId, tokens, isSampling, maxNumDraftTokens, numComputedTokens} of output.scheduled) {
    assertInvariant(maxNumDraftTokens === 0 || (isSampling && tokens.length === 1), `request ${requestId} gets draft tokens outside a sampling decode`);
    assertInvariant(numComputedTokens + tokens.length + maxNumDraftTokens <= config.sequenceCapacity,
      `request ${requestId} would hold ${numComputedTokens + tokens.length + maxNumDraftTokens} tokens with its drafts, over the capacity of ${config.sequenceCapacity}`);
  }
  assertInvariant(new Set(output.scheduled.map(({requestId}) => requestId)).size === output.scheduled.length, `step ${output.stepId} schedules a request twice`);
  assertInvariant(new Set(output.scheduled.map(({sequenceIndex}) => sequenceIndex)).size === output.scheduled.length, `step ${output.stepId} uses a sequence twice`);
  assertInvariant(numDecodesScheduled === numDecodeCandidates,
    `step ${output.stepId} scheduled ${numDecodesScheduled} of ${numDecodeCandidates} running decodes`);
}

/** The ledger runs exactly the owned sequences, and holds at least what each owner computed. */
function checkKvLedger({config, sequences, kvSequences, stats}: SchedulerInternals): void {
  assertInvariant(kvSequences.length === sequences.length, `the KV ledger has ${kvSequences.length} sequences, the scheduler ${sequences.length}`);
  let numBlocksUsed = 0;
  kvSequences.forEach((kv, index) => {
    const owner = sequences[index]?.owner ?? null;
    assertInvariant(kv.isRunning === (owner !== null), `the KV ledger has sequence ${index} ${kv.isRunning ? "running" : "idle"}, the scheduler ${owner === null ? "free" : `owned by ${owner.id}`}`);
    if (owner === null) return;
    numBlocksUsed += kv.numBlocks;
    // Between schedule() and update() the ledger also counts the tokens of the step in flight.
    assertInvariant(owner.numComputedTokens <= kv.numTokens && kv.numTokens <= owner.allTokens.length,
      `the KV ledger holds ${kv.numTokens} tokens in sequence ${index}, its owner ${owner.id} computed ${owner.numComputedTokens} of ${owner.allTokens.length}`);
  });
  const blockSize = config.blockSize ?? DEFAULT_BLOCK_SIZE;
  const numBlocksTotal = config.numSequences * Math.ceil(config.sequenceCapacity / blockSize);
  assertInvariant(stats.kvBlockSize === blockSize, `stats say ${stats.kvBlockSize} tokens per KV block, config gives ${blockSize}`);
  assertInvariant(stats.numKvBlocksTotal === numBlocksTotal, `stats say ${stats.numKvBlocksTotal} KV blocks, config gives ${numBlocksTotal}`);
  assertInvariant(stats.numKvBlocksUsed === numBlocksUsed, `stats say ${stats.numKvBlocksUsed} KV blocks used, running sequences hold ${numBlocksUsed}`);
  assertInvariant(stats.kvUsage === numBlocksUsed / numBlocksTotal, `stats say KV usage ${stats.kvUsage}, blocks say ${numBlocksUsed / numBlocksTotal}`);
  assertInvariant(Number.isInteger(stats.numPrefixEvictionsTotal) && stats.numPrefixEvictionsTotal >= 0, "prefix evictions are not a count");
}

function assertInvariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`scheduler invariant violated: ${message}`);
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}
