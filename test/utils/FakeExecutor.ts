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
  /** Forces the sampled token for a request at an output position (e.g. the EOG token). */
  readonly forcedToken?: (requestId: string, numOutputTokens: number) => number | undefined;
  /** Throws for this request id, to test per-request engine faults. */
  readonly failingRequestId?: string;
}

export class FakeExecutor implements StepExecutor {
  readonly numSequences: number;
  readonly sequenceCapacity: number;
  readonly batchSize: number;
  readonly sequences: number[][];
  readonly steps: SchedulerOutput[] = [];
  private readonly outputCounts = new Map<string, number>();

  constructor(private readonly options: FakeExecutorOptions = {}) {
    this.numSequences = options.numSequences ?? 2;
    this.sequenceCapacity = options.sequenceCapacity ?? 256;
    this.batchSize = options.batchSize ?? 64;
    this.sequences = Array.from({length: this.numSequences}, () => []);
  }

  async executeStep(output: SchedulerOutput, plans: ReadonlyMap<string, SamplingPlan>): Promise<ExecutedStep> {
    this.steps.push(output);
    if (this.options.stepDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.stepDelayMs));
    else await new Promise((resolve) => setImmediate(resolve));
    const sampledTokens = new Map<string, number>();
    const failures = new Map<string, Error>();
    for (const entry of output.scheduled) {
      const sequence = this.sequences[entry.sequenceIndex]!;
      if (entry.isNewlyPlaced) sequence.length = entry.numComputedTokens;
      if (sequence.length !== entry.numComputedTokens) throw new Error(`fake sequence ${entry.sequenceIndex} out of sync`);
      sequence.push(...entry.tokens);
      if (entry.requestId === this.options.failingRequestId) {
        failures.set(entry.requestId, new Error("injected decode failure"));
        continue;
      }
      if (!entry.isSampling) continue;
      const numOutput = this.outputCounts.get(entry.requestId) ?? 0;
      this.outputCounts.set(entry.requestId, numOutput + 1);
      const forced = this.options.forcedToken?.(entry.requestId, numOutput);
      const seed = plans.get(entry.requestId)?.stepSeed ?? 0;
      const mixed = sequence.reduce((hash, token) => Math.imul(hash ^ token, 16777619) >>> 0, seed >>> 0);
      sampledTokens.set(entry.requestId, forced ?? mixed % 26);
    }
    return {sampledTokens, failures, numDecodeCalls: 1};
  }

  async [Symbol.asyncDispose](): Promise<void> {}
}
