/**
 * The random dataset: independent single-message prompts of `inputLen` tokens (with spread) asking
 * for `outputLen` tokens. Request i depends only on the seed and i, so a longer run starts with the
 * same requests as a shorter one. Knows nothing of sending or of other datasets.
 */
import type {TokenCounter} from "../tokenCounter.ts";
import type {DatasetConfig, RequestSpec} from "../types.ts";
import {buildIndexedSpecs} from "./indexedSpecs.ts";
import {randomWords, spreadLength} from "./words.ts";

/** `count` random prompts derived from `seed`. */
export function buildRandomDataset(
  dataset: DatasetConfig,
  count: number,
  seed: number,
  counter: TokenCounter
): RequestSpec[] {
  return buildIndexedSpecs(count, seed, "random", (index, rng) => {
    const inputLen = spreadLength(rng, dataset.inputLen, dataset.lenSpread);
    const maxTokens = spreadLength(rng, dataset.outputLen, dataset.lenSpread);
    const messages = [{role: "user", content: randomWords(rng, inputLen)}] as const;
    return {id: `p${index}`, messages, maxTokens, estimatedPromptTokens: counter.countMessages(messages)};
  });
}
