/**
 * Builders for scheduler tests: a fake clock, a scheduler with small defaults, request specs, and a
 * deterministic fake executor that stands in for the model. The executor keeps each sequence's
 * tokens as a real context would (trimming on placement, refusing steps that do not start where the
 * sequence ends), and samples from a hash of (request id, position, the sequence's whole content).
 * So a scheduler that reuses a prefix the sequence does not really hold produces different tokens
 * than {@link referenceOutput}, the output of an uninterrupted run. Nothing here finishes a request
 * by itself unless asked to stop on a token.
 */

import {Scheduler} from "../../scheduler/Scheduler.ts";
import type {
  DraftCounts, FinishReason, FinishedRequest, SchedulerConfig, SchedulerOutput, SchedulerRequestSpec, StepResult
} from "../../scheduler/types.ts";

export const VOCAB_SIZE = 50_000;
const HASH_SEED = 0x811c9dc5;

/** A clock that moves only when told. */
export class FakeClock {
  nowMs = 0;
  readonly now = (): number => this.nowMs;

  advance(durationMs: number): void {
    this.nowMs += durationMs;
  }
}

/** Small, valid defaults; every test overrides what it is about. */
export const defaultSchedulerConfig: Omit<SchedulerConfig, "clock"> = {
  numSequences: 4,
  sequenceCapacity: 256,
  maxNumBatchedTokens: 64,
  maxQueueLength: 100,
  policy: "fcfs",
  isPreemptionEnabled: false
};

/** A scheduler over {@link defaultSchedulerConfig} and a fresh fake clock unless overridden. */
export function createScheduler(overrides: Partial<SchedulerConfig> = {}): Scheduler {
  return new Scheduler({...defaultSchedulerConfig, clock: new FakeClock().now, ...overrides});
}

/** Deterministic prompt tokens; equal seeds give equal prompts. */
export function promptTokens(seed: number, length: number): number[] {
  return Array.from({length}, (_, position) => hashInts(HASH_SEED, [seed, position]) % VOCAB_SIZE);
}

/**
 * `count` request specs with ids `r0`, `r1`, ..., 8-token prompts (distinct per index), maxTokens 8,
 * priority 0 and arrivalMs equal to the index, with `overrides` applied (an object, or per index).
 */
export function createRequests(
  count: number,
  overrides: Partial<SchedulerRequestSpec> | ((index: number) => Partial<SchedulerRequestSpec>) = {}
): SchedulerRequestSpec[] {
  return Array.from({length: count}, (_, index) => ({
    id: `r${index}`,
    promptTokens: promptTokens(index, 8),
    maxTokens: 8,
    priority: 0,
    arrivalMs: index,
    ...(typeof overrides === "function" ? overrides(index) : overrides)
  }));
}

/** Adds every spec and throws if one is refused, so setup mistakes do not pass silently. */
export function addAll(scheduler: Scheduler, specs: readonly SchedulerRequestSpec[]): void {
  for (const spec of specs) {
    const result = scheduler.addRequest(spec);
    if (!result.isAccepted) throw new Error(`request ${spec.id} refused: ${result.reason}`);
  }
}

/** The tokens an uninterrupted run generates for `spec`, `numTokens` of them. */
export function referenceOutput(spec: Pick<SchedulerRequestSpec, "id" | "promptTokens">, numTokens: number): number[] {
  let contentHash = HASH_SEED;
  for (const token of spec.promptTokens) contentHash = mix(contentHash, token);
  const output: number[] = [];
  for (let position = spec.promptTokens.length; output.length < numTokens; position++) {
    const token = sampleToken(spec.id, position, contentHash);
    output.push(token);
    contentHash = mix(contentHash, token);
  }
  return output;
}

/** The token the fake model samples at `position`, given the hash of the `position` tokens before it. */
export function sampleToken(requestId: string, position: number, contentHash: number): number {
  return hashInts(hashString(requestId), [position, contentHash]) % VOCAB_SIZE;
}

export interface FakeExecutorOptions {
  /**
   * Speculative decoding: the fraction of draft tokens that are the token the fake model will sample
   * (decided per request and position by a hash, so runs repeat); the others are wrong. Drafts are
   * proposed only where the scheduler allows them. Default 1.
   */
  readonly draftAgreement?: number;
  /** Reports a request as stopped ("stop") when it samples a token for which this returns true. */
  readonly isStopToken?: (token: number) => boolean;
}

interface FakeSequence {
  tokens: number[];
  /** prefixHashes[i] hashes tokens[0..i); one longer than `tokens`. */
  prefixHashes: number[];
}

/** A deterministic stand-in for the model; see the file comment. */
export class FakeExecutor {
  readonly #options: FakeExecutorOptions;
  readonly #sequences = new Map<number, FakeSequence>();
  numStepsTotal = 0;
  numDraftTokensTotal = 0;
  numAcceptedTokensTotal = 0;

  constructor(options: FakeExecutorOptions = {}) {
    this.#options = options;
  }

  /** Tokens the fake context holds in a sequence. */
  sequenceLength(sequenceIndex: number): number {
    return this.#sequences.get(sequenceIndex)?.tokens.length ?? 0;
  }

  execute(output: SchedulerOutput): StepResult {
    const sampledTokens = new Map<string, number[]>();
    const stoppedIds = new Map<string, FinishReason>();
    const draftCounts = new Map<string, DraftCounts>();
    let numDraftTokensTotal = 0;
    let numAcceptedTokensTotal = 0;
    for (const entry of output.scheduled) {
      let sequence = this.#sequences.get(entry.sequenceIndex);
      if (sequence === undefined) this.#sequences.set(entry.sequenceIndex, sequence = {tokens: [], prefixHashes: [HASH_SEED]});
      if (entry.copyFrom) {
        // A placement that copies another running sequence's state, as node-llama-cpp's copy does.
        const source = this.#sequences.get(entry.copyFrom.sequenceIndex)!;
        sequence = {tokens: [...source.tokens], prefixHashes: [...source.prefixHashes]};
        this.#sequences.set(entry.sequenceIndex, sequence);
      }
      if (entry.isNewlyPlaced) {
        if (sequence.tokens.length < entry.numComputedTokens)
          throw new Error(`sequence ${entry.sequenceIndex} holds ${sequence.tokens.length} tokens, ${entry.numComputedTokens} claimed`);
        sequence.tokens.length = entry.numComputedTokens;
        sequence.prefixHashes.length = entry.numComputedTokens + 1;
      } else if (sequence.tokens.length !== entry.numComputedTokens) {
        throw new Error(`sequence ${entry.sequenceIndex} holds ${sequence.tokens.length} tokens, step starts at ${entry.numComputedTokens}`);
      }
      for (const token of entry.tokens) {
        sequence.prefixHashes.push(mix(sequence.prefixHashes.at(-1)!, token));
        sequence.tokens.push(token);
      }
      if (!entry.isSampling) continue;
      const drafts = this.#draft(entry.requestId, sequence, entry.maxNumDraftTokens);
      // Verify as the real executor does: accepted drafts enter the sequence, the first miss ends.
      const sampled: number[] = [];
      for (let offset = 0; offset <= drafts.length; offset++) {
        const token = sampleToken(entry.requestId, sequence.tokens.length, sequence.prefixHashes.at(-1)!);
        sampled.push(token);
        if (this.#options.isStopToken?.(token) === true) {
          stoppedIds.set(entry.requestId, "stop");
          break;
        }
        if (token !== drafts[offset]) break;
        sequence.prefixHashes.push(mix(sequence.prefixHashes.at(-1)!, token));
        sequence.tokens.push(token);
      }
      sampledTokens.set(entry.requestId, sampled);
      if (entry.maxNumDraftTokens > 0) {
        const numAccepted = Math.min(sampled.length - 1, drafts.length);
        draftCounts.set(entry.requestId, {numDraftTokens: drafts.length, numAcceptedTokens: numAccepted});
        numDraftTokensTotal += drafts.length;
        numAcceptedTokensTotal += numAccepted;
      }
    }
    this.numStepsTotal++;
    this.numDraftTokensTotal += numDraftTokensTotal;
    this.numAcceptedTokensTotal += numAcceptedTokensTotal;
    return {stepId: output.stepId, sampledTokens, stoppedIds, draftCounts};
  }

  /** Up to `maxNumTokens` drafts after the sequence's content: right or wrong as `draftAgreement` says. */
  #draft(requestId: string, sequence: FakeSequence, maxNumTokens: number): number[] {
    const drafts: number[] = [];
    let contentHash = sequence.prefixHashes.at(-1)!;
    const agreement = this.#options.draftAgreement ?? 1;
    for (let position = sequence.tokens.length; drafts.length < maxNumTokens; position++) {
      const right = sampleToken(requestId, position, contentHash);
      const isRight = (hashInts(hashString(requestId), [position, 7]) % 1000) / 1000 < agreement;
      const token = isRight ? right : (right + 1) % VOCAB_SIZE;
      drafts.push(token);
      contentHash = mix(contentHash, token);
    }
    return drafts;
  }
}

/** One step as the harness drove it. */
export interface StepRecord {
  readonly output: SchedulerOutput;
  readonly finished: FinishedRequest[];
}

/** A scheduler, its clock and a fake executor, stepped together with invariant checks. */
export interface SchedulerHarness {
  readonly scheduler: Scheduler;
  readonly clock: FakeClock;
  readonly executor: FakeExecutor;
  /** schedule, execute, update, then checkInvariants. */
  step(): StepRecord;
  /** Steps until nothing is left; throws after `maxSteps`. Returns every finished request, in order. */
  runUntilIdle(maxSteps?: number): FinishedRequest[];
}

export function createHarness(overrides: Partial<SchedulerConfig> = {}, executorOptions: FakeExecutorOptions = {}): SchedulerHarness {
  const clock = new FakeClock();
  const scheduler = createScheduler({clock: clock.now, ...overrides});
  const executor = new FakeExecutor(executorOptions);
  const step = (): StepRecord => {
    const output = scheduler.schedule();
    scheduler.checkInvariants();
    const finished = scheduler.update(output, executor.execute(output));
    scheduler.checkInvariants();
    return {output, finished};
  };
  const runUntilIdle = (maxSteps = 10_000): FinishedRequest[] => {
    const finished: FinishedRequest[] = [];
    for (let numSteps = 0; scheduler.hasWork(); numSteps++) {
      if (numSteps >= maxSteps) throw new Error(`still busy after ${maxSteps} steps`);
      finished.push(...step().finished);
    }
    return finished;
  };
  return {scheduler, clock, executor, step, runUntilIdle};
}

function hashInts(seed: number, values: readonly number[]): number {
  let hash = seed;
  for (const value of values) hash = mix(hash, value);
  return hash;
}

function hashString(text: string): number {
  let hash = HASH_SEED;
  for (let index = 0; index < text.length; index++) hash = mix(hash, text.charCodeAt(index));
  return hash;
}

/** FNV-1a over the two 16-bit halves of a value. */
function mix(hash: number, value: number): number {
  const low = Math.imul(hash ^ (value & 0xffff), 0x01000193);
  return Math.imul(low ^ (value >>> 16), 0x01000193) >>> 0;
}
