/**
 * Builds one step's batch in three passes under one budget of `maxNumBatchedTokens`, the prefill
 * of passes 2 and 3 also under the pacer's bound (StepPacer.ts) when the step has decodes:
 *   1. every running request in decode (one token left to feed) gets that token; with speculative
 *      decoding, decodes that sample may also get draft tokens from what the budget left after
 *      this pass (see SpeculationPolicy.ts for how many);
 *   2. running requests still prefilling get chunks, in admission order;
 *   3. queued requests are admitted into idle sequences and get a first chunk.
 * It cuts the chunks and reserves their room in the sequences. Who is admitted next (queue order,
 * free sequences), where a request is placed (the KV ledger) and who is preempted are the caller's
 * (Scheduler.ts); nothing here changes a request's status.
 */

import {isInDecode, numRemaining, type RequestState} from "./RequestState.ts";
import type {SequenceTable} from "./SequenceTable.ts";
import type {StepPacer} from "./StepPacer.ts";
import type {StepSpeculation} from "./StepSpeculation.ts";
import type {ScheduledRequest} from "./types.ts";

/** @internal What the passes read and call of the scheduler. */
export interface StepSource {
  readonly maxNumBatchedTokens: number;
  /** Running requests in admission order; `admitNext` appends to it. */
  readonly running: readonly RequestState[];
  readonly sequences: SequenceTable<RequestState>;
  readonly speculation: StepSpeculation | null;
  /** Bounds the prefill beside decodes; null: only the token budget does. */
  readonly pacer: StepPacer | null;
  /** Places the next queued request into an idle sequence; undefined when none is queued or idle. */
  admitNext(): RequestState | undefined;
}

/** @internal A built step, before it gets its id and its preemptions. */
export interface BuiltStep {
  readonly scheduled: readonly ScheduledRequest[];
  /** Tokens of the step, draft tokens included; at most `maxNumBatchedTokens`. */
  readonly numScheduledTokens: number;
  /** Running requests that were in decode when the step was built. */
  readonly numDecodeCandidates: number;
  /** Of those, how many the step feeds (all of them; see pass 1). */
  readonly numDecodesScheduled: number;
}

/** The step being built: its chunks so far, the budget left and the prefill tokens it may still take. */
interface StepDraft {
  readonly scheduled: ScheduledRequest[];
  budget: number;
  prefillRoom: number;
}

/** @internal Runs the three passes of the file comment. */
export function buildStep(source: StepSource): BuiltStep {
  const step: StepDraft = {scheduled: [], budget: source.maxNumBatchedTokens, prefillRoom: Infinity};
  const numDecodeCandidates = scheduleDecodes(source, step);
  const numDecodesScheduled = step.scheduled.length;
  const budgetAfterDecodes = step.budget;
  step.prefillRoom = source.pacer?.maxNumPrefillTokens(numDecodesScheduled) ?? Infinity;
  for (const request of source.running) {
    if (prefillLeft(step) === 0) break;
    if (!isInDecode(request)) addChunk(source, step, request);
  }
  while (prefillLeft(step) > 0) {
    const request = source.admitNext();
    if (request === undefined) break;
    addChunk(source, step, request);
  }
  if (step.scheduled.length > numDecodesScheduled) source.speculation?.markPrefill();
  const numScheduledTokens = source.maxNumBatchedTokens - step.budget;
  const numDraftTokens = step.scheduled.reduce((sum, chunk) => sum + chunk.maxNumDraftTokens, 0);
  source.pacer?.beginStep(numDecodesScheduled, budgetAfterDecodes - step.budget, numDraftTokens);
  return {scheduled: step.scheduled, numScheduledTokens, numDecodeCandidates, numDecodesScheduled};
}

/** Pass 1; returns how many running requests were in decode. */
function scheduleDecodes(source: StepSource, step: StepDraft): number {
  // At most `budget` requests can be in decode: each got there through a chunk of an earlier step,
  // and a step's decodes plus its completing chunks fit one budget. So decodes are never starved,
  // and no rotation among them is needed; the slice only guards that reasoning.
  const decodes = source.running.filter(isInDecode);
  const decodesScheduled = decodes.slice(0, step.budget);
  step.budget -= decodesScheduled.length;
  const numDraftTokens = source.speculation?.beginStep(decodesScheduled.length) ?? 0;
  for (const request of decodesScheduled) {
    const numDrafts = Math.min(step.budget, source.speculation?.draftRoom(request, numDraftTokens) ?? 0);
    step.budget -= numDrafts;
    step.scheduled.push(takeChunk(source.sequences, request, 1, numDrafts));
  }
  return decodes.length;
}

/** Prefill tokens the step can still take. */
function prefillLeft(step: StepDraft): number {
  return Math.min(step.budget, step.prefillRoom);
}

/** Gives a request as much of what it has left to feed as the budget and the pacer allow. */
function addChunk(source: StepSource, step: StepDraft, request: RequestState): void {
  const chunk = takeChunk(source.sequences, request, Math.min(numRemaining(request), prefillLeft(step)));
  step.scheduled.push(chunk);
  step.budget -= chunk.tokens.length;
  step.prefillRoom -= chunk.tokens.length;
}

/** Cuts the request's next `numTokens` tokens into a chunk and reserves their room in its sequence. */
function takeChunk(sequences: SequenceTable<RequestState>, request: RequestState, numTokens: number, maxNumDraftTokens = 0): ScheduledRequest {
  const start = request.numComputedTokens;
  sequences.allocate(request.sequenceIndex!, numTokens);
  const chunk: ScheduledRequest = {
    requestId: request.id, sequenceIndex: request.sequenceIndex!, isNewlyPlaced: request.isNewlyPlaced,
    numComputedTokens: start, tokens: request.allTokens.slice(start, start + numTokens),
    isSampling: start + numTokens === request.allTokens.length, maxNumDraftTokens,
    ...(request.isNewlyPlaced && request.restoreFrom ? {restoreFrom: request.restoreFrom} : {}),
    ...(request.isNewlyPlaced && request.copyFrom ? {copyFrom: request.copyFrom} : {})
  };
  request.isNewlyPlaced = false;
  request.restoreFrom = undefined;
  request.copyFrom = undefined;
  return chunk;
}
