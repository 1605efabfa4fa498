/**
 * The scheduler's side of speculative decoding for one step at a time: asks the policy how many draft
 * tokens the step's decodes get, trims that to what each request can still use, and after the step
 * feeds the policy what it measured (verified and accepted drafts, and the speed of pure decode
 * steps). Owns the bookkeeping of the step in flight; the rule itself is SpeculationPolicy's.
 */
import {SpeculationPolicy} from "./SpeculationPolicy.ts";
import type {SchedulerOutput, SpeculationPolicyOptions, StepResult} from "./types.ts";

/** What a request's draft room depends on. */
export interface DraftCandidate {
  readonly isSpeculationAllowed: boolean;
  readonly numPromptTokens: number;
  readonly maxTokens: number;
  readonly allTokens: readonly number[];
}

interface StepInFlight {
  readonly numDecodes: number;
  readonly numDraftTokens: number;
  readonly startMs: number;
  readonly isPureDecode: boolean;
}

export class StepSpeculation {
  readonly #policy: SpeculationPolicy;
  readonly #clock: () => number;
  readonly #sequenceCapacity: number;
  #step: StepInFlight | null = null;

  constructor(config: SpeculationPolicyOptions, clock: () => number, sequenceCapacity: number) {
    this.#policy = new SpeculationPolicy(config);
    this.#clock = clock;
    this.#sequenceCapacity = sequenceCapacity;
  }

  get acceptanceRate(): number | null {
    return this.#policy.acceptanceRate;
  }

  /** Starts timing a step with `numDecodes` decodes; returns the draft length the step runs with. */
  beginStep(numDecodes: number): number {
    const numDraftTokens = this.#policy.numDraftTokensFor(numDecodes);
    this.#step = numDecodes > 0 ? {numDecodes, numDraftTokens, startMs: this.#clock(), isPureDecode: true} : null;
    return numDraftTokens;
  }

  /** A step that also prefills is not a fair sample of a draft length's speed. */
  markPrefill(): void {
    if (this.#step !== null) this.#step = {...this.#step, isPureDecode: false};
  }

  /**
   * Draft tokens worth proposing for a request in decode: none past its `maxTokens` (the target's
   * own token comes after the drafts) and no more than its sequence can hold with them fed.
   */
  draftRoom(request: DraftCandidate, numDraftTokens: number): number {
    if (!request.isSpeculationAllowed || numDraftTokens <= 0) return 0;
    const numOutput = request.allTokens.length - request.numPromptTokens;
    const room = Math.min(request.maxTokens - numOutput - 1, this.#sequenceCapacity - request.allTokens.length);
    return Math.max(0, Math.min(numDraftTokens, room));
  }

  /** Records the step's drafts and, for a pure decode step, its speed. Throws on impossible counts. */
  endStep(output: SchedulerOutput, result: StepResult, numOutputTokens: number): void {
    const step = this.#step;
    this.#step = null;
    let numDraftTokens = 0;
    let numAcceptedTokens = 0;
    let numRejections = 0;
    const draftLengths: number[] = [];
    for (const {requestId, maxNumDraftTokens} of output.scheduled) {
      const counts = result.draftCounts?.get(requestId);
      if (counts === undefined) continue;
      if (counts.numDraftTokens > maxNumDraftTokens) throw new RangeError(`request ${requestId} verified ${counts.numDraftTokens} of at most ${maxNumDraftTokens} drafts`);
      numDraftTokens += counts.numDraftTokens;
      numAcceptedTokens += counts.numAcceptedTokens;
      if (counts.numAcceptedTokens < counts.numDraftTokens) numRejections++;
      if (counts.numDraftTokens > 0) draftLengths.push(counts.numDraftTokens);
    }
    this.#policy.recordVerified(numDraftTokens, numAcceptedTokens, numRejections);
    if (step === null || !step.isPureDecode || output.scheduled.length === 0) return;
    const {numDecodes, startMs} = step;
    this.#policy.recordStep({
      numDecodes, numDraftTokens: step.numDraftTokens, numOutputTokens, durationMs: this.#clock() - startMs,
      verified: {draftLengths, numAcceptedTokens}
    });
  }
}
