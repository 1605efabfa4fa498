/**
 * An engine over the fake executor, with every step and finished-request record collected, and the
 * request specs its tests send: the set-up of the engine's unit tests. Owns no behaviour of its own.
 */
import {Engine, type EngineOptions} from "../../engine/Engine.ts";
import type {FinishedGenerationRecord, GenerationRequest, StepRecord} from "../../engine/types.ts";
import {FAKE_EOG_TOKEN, FakeExecutor, type FakeExecutorOptions, fakeDetokenize} from "./FakeExecutor.ts";

export type FakeEngineOptions = FakeExecutorOptions &
  Pick<EngineOptions, "maxQueueLength" | "requestTimeoutMs" | "policy" | "isPreemptionEnabled" | "speculation" | "clock">;

export function createFakeEngine(options: FakeEngineOptions = {}) {
  const executor = new FakeExecutor(options);
  const engine = new Engine({executor, detokenize: fakeDetokenize, isEndOfGeneration: (t) => t === FAKE_EOG_TOKEN, ...options});
  const steps: StepRecord[] = [];
  const finished: FinishedGenerationRecord[] = [];
  const stepWaiters: {readonly count: number; readonly resolve: () => void}[] = [];
  engine.on("step", (record) => {
    steps.push(record);
    for (const waiter of stepWaiters.filter(({count}) => steps.length >= count)) {
      stepWaiters.splice(stepWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  engine.on("requestFinished", (record) => finished.push(record));
  /** Resolves once `count` steps have run, on the record of the last of them (no polling, no timer). */
  const afterSteps = (count: number): Promise<void> =>
    steps.length >= count ? Promise.resolve() : new Promise((resolve) => stepWaiters.push({count, resolve}));
  return {engine, executor, steps, finished, afterSteps};
}

/**
 * A request to the fake engine: a 4-token prompt, 8 tokens at most, priority 0, sampled at
 * temperature 1 with `seed` (default 42), so its output looks random yet repeats; `overrides` last.
 */
export function fakeRequest(id: string, {seed = 42, ...overrides}: Partial<GenerationRequest> & {readonly seed?: number} = {}): GenerationRequest {
  return {
    id,
    promptTokens: [1, 2, 3, 4],
    sampling: {temperature: 1, topP: 1, topK: 0, minP: 0, seed, presencePenalty: 0, frequencyPenalty: 0},
    maxTokens: 8,
    stop: [],
    priority: 0,
    ...overrides
  };
}
