/**
 * An engine over the fake executor, with every step record collected: the set-up of the engine's
 * unit tests. Owns no behaviour of its own.
 */
import {Engine, type EngineOptions} from "../../engine/Engine.ts";
import type {StepRecord} from "../../engine/types.ts";
import {FAKE_EOG_TOKEN, FakeExecutor, type FakeExecutorOptions, fakeDetokenize} from "./FakeExecutor.ts";

export type FakeEngineOptions = FakeExecutorOptions &
  Pick<EngineOptions, "maxQueueLength" | "requestTimeoutMs" | "policy" | "isPreemptionEnabled" | "speculation">;

export function createFakeEngine(options: FakeEngineOptions = {}) {
  const executor = new FakeExecutor(options);
  const engine = new Engine({executor, detokenize: fakeDetokenize, isEndOfGeneration: (t) => t === FAKE_EOG_TOKEN, ...options});
  const steps: StepRecord[] = [];
  engine.on("step", (record) => steps.push(record));
  return {engine, executor, steps};
}
