/**
 * Assembles a served model from a GGUF: the node-llama-cpp runtime, the chat renderer and the engine
 * loop over the runtime's executor. Owns the wiring and the shutdown order (drain the engine, then
 * free native resources); the parts own their own behaviour.
 */
import type {Token} from "node-llama-cpp";
import {ChatRenderer} from "./chat/ChatRenderer.ts";
import {Engine} from "./Engine.ts";
import {type LlamaRuntime, type LlamaRuntimeOptions, loadLlamaRuntime} from "./model/loadLlamaRuntime.ts";
import {type TokenBytes, tokenBytesOf} from "./model/tokenBytes.ts";
import type {TokenDescriber} from "./RequestOutput.ts";
import {ByteDetokenizer} from "./text/ByteDetokenizer.ts";
import type {ServedModel} from "./ServedModel.ts";
import type {SchedulingPolicy, TargetItlMs} from "../scheduler/types.ts";
import type {SpeculationOptions} from "./speculationOptions.ts";

/**
 * The settings of one served model's engine, spelled the same from the command line (or a variant's
 * fields) to the scheduler; the runtime's (threads, sequences, batch) come with them.
 */
export interface EngineSettings {
  readonly maxNumBatchedTokens?: number;
  /** The inter-token latency prefill beside decodes is sized for; see the scheduler's StepPacer. */
  readonly targetItlMs?: TargetItlMs;
  readonly maxQueueLength: number;
  readonly policy?: SchedulingPolicy;
  readonly isPreemptionEnabled?: boolean;
  readonly requestTimeoutMs?: number;
  /** False: no prefix reuse (resident or host tier); every request prefills in full. Default true. */
  readonly isPrefixCachingEnabled?: boolean;
  /** Speculative decoding; undefined: off. */
  readonly speculation?: SpeculationOptions;
}

export interface LlamaServedModelOptions extends LlamaRuntimeOptions, EngineSettings {
  readonly name: string;
}

export interface LlamaServedModel extends ServedModel {
  readonly runtime: LlamaRuntime;
  readonly chatTemplateName: string;
  /** How it speculates; undefined: it does not. */
  readonly speculation: SpeculationOptions | undefined;
}

export async function createLlamaServedModel(options: LlamaServedModelOptions): Promise<LlamaServedModel> {
  const runtime = await loadLlamaRuntime(options);
  const {model} = runtime;
  const renderer = new ChatRenderer(model);
  const tokenBytes = tokenBytesOf(model);
  const engine = new Engine({
    executor: runtime.executor,
    // node-llama-cpp brands token ids; ours are plain numbers that came from the same tokenizer.
    detokenize: (tokens, lastTokens) => model.detokenize(tokens as readonly Token[], false, lastTokens as readonly Token[]),
    ...(tokenBytes ? {createTextDecoder: () => new ByteDetokenizer(tokenBytes.bytesOf), describeToken: describerOf(tokenBytes)} : {}),
    isEndOfGeneration: (token) => model.isEogToken(token as Token),
    maxNumBatchedTokens: options.maxNumBatchedTokens,
    targetItlMs: options.targetItlMs,
    maxQueueLength: options.maxQueueLength,
    policy: options.policy,
    isPreemptionEnabled: options.isPreemptionEnabled,
    requestTimeoutMs: options.requestTimeoutMs,
    isPrefixCachingEnabled: options.isPrefixCachingEnabled,
    speculation: options.speculation ? {maxDraftTokens: options.speculation.maxDraftTokens, isAdaptive: options.speculation.isAdaptive} : undefined
  });
  return {
    name: options.name,
    createdAtSeconds: Math.floor(Date.now() / 1000),
    engine,
    runtime,
    chatTemplateName: renderer.templateName,
    speculation: options.speculation,
    contextLength: engine.sequenceCapacity,
    renderChat: (messages, tools) => renderer.render(messages, tools),
    toolCallSyntax: renderer.toolCallSyntax,
    tokenize: (text) => model.tokenize(text, true),
    async [Symbol.asyncDispose]() {
      await engine[Symbol.asyncDispose]();
      await runtime[Symbol.asyncDispose]();
    }
  };
}

/** A token's exact bytes, and its text decoded from them (a piece of a character shows as U+FFFD). */
function describerOf(tokenBytes: TokenBytes): TokenDescriber {
  const decoder = new TextDecoder("utf-8");
  return (token) => {
    const bytes = tokenBytes.bytesOf(token);
    return {text: decoder.decode(bytes), bytes: [...bytes]};
  };
}
