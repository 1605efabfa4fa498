/**
 * The start-up log's description of a loaded variant: what really runs (backend, build, the CPU
 * variant llama.cpp loaded, threads, sequences, the libuv pool, the sampling path, the chat template,
 * speculation), so an operator can tell from one line why a server is fast or slow.
 */
import type {LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import type {SpeculationOptions} from "../../engine/speculationOptions.ts";

function describeSpeculation(speculation: SpeculationOptions | undefined): string {
  if (!speculation) return "";
  const drafter = speculation.mode === "draft" ? "draft model" : "ngram";
  return `, speculative: ${drafter}, up to ${speculation.maxDraftTokens} tokens${speculation.isAdaptive ? ", adaptive" : " always"}`;
}

export function describeServedModel(model: LlamaServedModel, label: string): string {
  const {backend} = model.runtime;
  return `${label} (${backend.gpu}, ${backend.buildType} build, CPU features ${backend.cpuFeatures.join(" ") || "unknown"}, ` +
    `${backend.threads} threads, ${model.engine.scheduler.getSequences().length} sequences x ${model.contextLength} tokens, ` +
    `libuv pool ${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}, sampling ${backend.samplingPath}, template ${model.chatTemplateName}, ` +
    `tool calls ${model.toolCallSyntax.family}` +
    `${describeSpeculation(model.speculation)})`;
}

/** A warning for a model whose template shows no tool-call syntax; null when it has one. */
export function toolSyntaxWarning(model: LlamaServedModel, label: string): string | null {
  if (model.toolCallSyntax.family !== "generic") return null;
  return `${label}: the chat template shows no tool-call syntax; requests with tools describe them in a system message ` +
    "and read calls in the generic <tool_call> format (docs/api.md#tool-calling)";
}
