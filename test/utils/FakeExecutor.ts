/**
 * A stand-in for the model in engine and server tests: sequences hold tokens like a real context
 * (trimmed on placement), each "decode" takes `stepDelayMs`, and the sampled token is a deterministic
 * function of the sequence's content and the step seed. A fake detokenizer maps token t to one
 * printable character, so text assertions are exact.
 */
import type {SchedulerOutput} from "../../scheduler/types.ts";
import type {ExecutedStep, SamplingPlan, StepExecutor} from "../../engine/executor/types.ts";

/** Token ids the fake vocabulary knows: 'a'..'z' then the end-of-generation token. */
export const FAKE_EOG_TOKEN = 26;
export const fakeDetokenize = (tokens: readonly number[]): string =>
  tokens.map((token) => (token === FAKE_EOG_TOKEN ? "" : String.fromCharCode(97 + (token % 26)))).join("");
export const fakeTokenize = (text: string): number[] => [...text].map((char) => (char.charCodeAt(0) - 97 + 26 * 10) % 26);

export interface FakeExecutorOptions {
  readonly numSequences?: number;
  readonly sequenceCapacity?: number;
  readonly batchSize?: number;
  readonly stepDelayMs?: number;
  /**
   * Awaited at the start of every step, before the decode: a test holds the model mid-step (a stalled
   * model, whatever the machine's speed) until the promise it returns resolves.
   */
  readonly beforeStep?: () => Promise<void>;
  /** Forces the sampled token for a request at an output position (e.g. the EOG token). */
  readonly forcedToken?: (requestId: string, numOutputTokens: number) => number | undefined;
  /** Throws for this request id, to test per-request engine faults. */
  readonly failingRequestId?: string;
  /** Fails this fraction of requests (decided once per request, at its first step): a faulty variant. */
  readonly failureRate?: number;
  /** Uniform in [0, 1) for `failureRate`; default Math.random. */
  readonly random?: () => number;
  /**
   * Fails every request whose sequence contains this text (as {@link fakeTokenize} tokenizes it): a
   * fault tied to one request whatever id the server gave it. It fails at the first step at which the
   * request has produced `failAfterTokens` tokens (default 0: during its prefill).
   */
  readonly failingPromptMarker?: string;
  readonly failAfterTokens?: number;
  /**
   * Proposes draft tokens for speculative decoding from a request's tokens so far (the last one
   * included); verified like a real executor does: accepted while the fake model would sample them.
   */
  readonly drafter?: (history: readonly number[], maxNumTokens: number) => readonly number[];
}

function containsRun(haystack: readonly number[], needle: readonly number[]): boolean {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let offset = 0; offset < needle.length; offset++) if (haystack[start + offset] !== needle[offset]) continue outer;
    return true;
  }
  return false;
}

export class FakeExecutor implements StepExecutor {
  readonly numSequences: number;
  readonly sequenceCapacity: number;
  readonly batchSize: number;
  readonly sequences: number[][];
  readonly steps: SchedulerOutput[] = [];
  private readonly outputCounts = new Map<string, number>();
  private readonly isFailingById = new Map<string, boolean>();
  private readonly markedIds = new Set<string>();

  constructor(private readonly options: FakeExecutorOptions = {}) {
    this.numSequences = options.numSequences ?? 2;
    this.sequenceCapacity = options.sequenceCapacity ?? 256;
    this.batchSize = options.batchSize ?? 64;
    this.sequences = Array.from({length: this.numSequences}, () => []);
  }

  async executeStep(output: SchedulerOutput, plans: ReadonlyMap<string, SamplingPlan>): Promise<ExecutedStep> {
    this.steps.push(output);
    if (this.options.beforeStep) await this.options.beforeStep();
    if (this.options.stepDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.stepDelayMs));
    else await new Promise((resolve) => setImmediate(resolve));
    const sampledTokens = new Map<string, readonly number[]>();
    const draftCounts = new Map<string, {numDraftTokens: number; numAcceptedTokens: number}>();
    const failures = new Map<string, Error>();
    for (const entry of output.scheduled) {
      const sequence = this.sequences[entry.sequenceIndex]!;
      if (entry.isNewlyPlaced) sequence.length = entry.numComputedTokens;
      if (sequence.length !== entry.numComputedTokens) throw new Error(`fake sequence ${entry.sequenceIndex} out of sync`);
      sequence.push(...entry.tokens);
      if (entry.requestId === this.options.failingRequestId || this.isInjectedFailure(entry.requestId) || this.isMarkedFailure(entry.requestId, sequence)) {
        failures.set(entry.requestId, new Error("injected decode failure"));
        continue;
      }
      if (!entry.isSampling) continue;
      const drafts = entry.maxNumDraftTokens > 0 && this.options.drafter
        ? this.options.drafter([...sequence], entry.maxNumDraftTokens).slice(0, entry.maxNumDraftTokens) : [];
      const tokens: number[] = [];
      for (let offset = 0; offset <= drafts.length; offset++) {
        const token = this.sample(entry.requestId, sequence, plans.get(entry.requestId)?.stepSeeds[offset] ?? 0);
        tokens.push(token);
        if (token !== drafts[offset]) break;
        sequence.push(token);
      }
      sampledTokens.set(entry.requestId, tokens);
      if (entry.maxNumDraftTokens > 0) draftCounts.set(entry.requestId, {numDraftTokens: drafts.length, numAcceptedTokens: tokens.length - 1});
    }
    return {sampledTokens, draftCounts, failures, numDecodeCalls: 1};
  }

  /** The fake model: a hash of the sequence and the seed, unless a token is forced at this position. */
  private sample(requestId: string, sequence: readonly number[], seed: number): number {
    const numOutput = this.outputCounts.get(requestId) ?? 0;
    this.outputCounts.set(requestId, numOutput + 1);
    const forced = this.options.forcedToken?.(requestId, numOutput);
    const mixed = sequence.reduce((hash, token) => Math.imul(hash ^ token, 16777619) >>> 0, seed >>> 0);
    return forced ?? mixed % 26;
  }

  private isMarkedFailure(requestId: string, sequence: readonly number[]): boolean {
    const marker = this.options.failingPromptMarker;
    if (marker === undefined) return false;
    if (!this.markedIds.has(requestId) && containsRun(sequence, fakeTokenize(marker))) this.markedIds.add(requestId);
    return this.markedIds.has(requestId) && (this.outputCounts.get(requestId) ?? 0) >= (this.options.failAfterTokens ?? 0);
  }

  private isInjectedFailure(requestId: string): boolean {
    const rate = this.options.failureRate ?? 0;
    if (rate <= 0) return false;
    let isFailing = this.isFailingById.get(requestId);
    if (isFailing === undefined) {
      isFailing = (this.options.random ?? Math.random)() < rate;
      this.isFailingById.set(requestId, isFailing);
    }
    return isFailing;
  }

  async [Symbol.asyncDispose](): Promise<void> {}
}
