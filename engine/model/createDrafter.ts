/**
 * Builds the drafter speculative decoding asks for: n-gram lookup (nothing to load), or a draft model
 * loaded on the target's llama binding into its own context, one sequence per target sequence, with
 * the same thread budget. Refuses a draft model whose vocabulary differs from the target's (its token
 * ids would mean other text). Owns the draft model and context it loads; the drafter owns its sequences.
 */
import type {Llama, LlamaContext, LlamaModel} from "node-llama-cpp";
import {EngineError} from "../errors.ts";
import {DraftModelDrafter} from "../executor/speculative/DraftModelDrafter.ts";
import type {Drafter} from "../executor/speculative/Drafter.ts";
import {NgramDrafter} from "../executor/speculative/NgramDrafter.ts";
import type {SpeculationOptions} from "../speculationOptions.ts";
import {loadLlamaModel} from "./loadLlama.ts";
import {resolveModelSource} from "./resolveModelSource.ts";

export interface DraftTarget {
  readonly llama: Llama;
  readonly target: LlamaModel;
  readonly parallel: number;
  readonly ctxSize: number;
  readonly batchSize: number;
  readonly threads: number;
  readonly log: (message: string) => void;
}

/** A drafter and whatever native resources it was loaded with (disposed after the drafter). */
export interface LoadedDrafter extends AsyncDisposable {
  readonly drafter: Drafter;
}

export async function createDrafter(options: SpeculationOptions, target: DraftTarget): Promise<LoadedDrafter> {
  if (options.mode === "ngram") {
    const drafter = new NgramDrafter();
    return {drafter, [Symbol.asyncDispose]: async () => {}};
  }
  if (options.draftModel === undefined) throw new EngineError("model_load_failed", "speculative mode \"draft\" needs a draft model");
  const source = resolveModelSource(options.draftModel);
  target.log(`draft: ${source.description}`);
  const draftModel = await loadLlamaModel(target.llama, source.path);
  let context: LlamaContext;
  try {
    checkSameVocabulary(target.target, draftModel, source.path);
    context = await draftModel.createContext({
      sequences: target.parallel,
      contextSize: target.ctxSize,
      batchSize: target.batchSize,
      threads: target.threads
    });
  } catch (error) {
    await draftModel.dispose();
    if (error instanceof EngineError) throw error;
    throw new EngineError("model_load_failed", `cannot create the draft model's context: ${(error as Error).message}`);
  }
  const vocabularySize = draftModel.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 131_072;
  return {
    drafter: new DraftModelDrafter(context, {
      minProbability: options.minDraftProbability,
      vocabularySize
    }),
    async [Symbol.asyncDispose]() {
      await context.dispose();
      await draftModel.dispose();
    }
  };
}

/** Same size and the same text for a sample of token ids: enough to catch a mismatched pair. */
function checkSameVocabulary(target: LlamaModel, draft: LlamaModel, draftPath: string): void {
  const targetTokens = target.fileInfo.metadata.tokenizer?.ggml?.tokens;
  const draftTokens = draft.fileInfo.metadata.tokenizer?.ggml?.tokens;
  const isSameSize = targetTokens !== undefined && draftTokens !== undefined && targetTokens.length === draftTokens.length;
  const step = Math.max(1, Math.floor((targetTokens?.length ?? 1) / 997));
  let isSame = isSameSize;
  for (let id = 0; isSame && id < targetTokens!.length; id += step) isSame = targetTokens![id] === draftTokens![id];
  if (!isSame) {
    throw new EngineError("model_load_failed",
      `the draft model ${draftPath} does not share the target's vocabulary (${draftTokens?.length ?? "?"} vs ${targetTokens?.length ?? "?"} tokens, or different token text)`);
  }
}
