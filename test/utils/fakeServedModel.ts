/**
 * A served model over the real engine loop and a {@link FakeExecutor}: lets server tests exercise
 * routes, streaming and errors in milliseconds, without loading a model.
 */
import {toolCallSyntaxOf} from "../../engine/chat/toolCallSyntax.ts";
import {Engine} from "../../engine/Engine.ts";
import type {ServedModel} from "../../engine/ServedModel.ts";
import {FAKE_EOG_TOKEN, FakeExecutor, type FakeExecutorOptions, fakeDetokenize, fakeTokenize} from "./FakeExecutor.ts";

export interface FakeServedModel extends ServedModel {
  readonly executor: FakeExecutor;
}

export type FakeServedModelOptions = FakeExecutorOptions & {
  readonly maxQueueLength?: number;
  readonly requestTimeoutMs?: number;
  /** The engine's clock; default `performance.now()`. */
  readonly clock?: () => number;
};

export function createFakeServedModel(name = "fake", options: FakeServedModelOptions = {}): FakeServedModel {
  const executor = new FakeExecutor(options);
  const engine = new Engine({
    executor,
    detokenize: fakeDetokenize,
    isEndOfGeneration: (token) => token === FAKE_EOG_TOKEN,
    maxQueueLength: options.maxQueueLength,
    requestTimeoutMs: options.requestTimeoutMs,
    clock: options.clock
  });
  return {
    name,
    createdAtSeconds: 1_700_000_000,
    engine,
    executor,
    contextLength: engine.sequenceCapacity,
    renderChat: (messages) => fakeTokenize(messages.map((message) => `${message.role}${message.content ?? ""}`).join("")),
    toolCallSyntax: toolCallSyntaxOf("<tool_call>"),
    tokenize: fakeTokenize,
    async [Symbol.asyncDispose]() {
      await engine[Symbol.asyncDispose]();
    }
  };
}
