/**
 * Picks the dataset the configuration names and builds one round's requests. The single place that
 * knows all three kinds; each kind's rules live in its own file.
 */
import type {TokenCounter} from "../tokenCounter.ts";
import type {DatasetConfig, RequestSpec} from "../types.ts";
import {buildJsonlDataset, type JsonlRequest} from "./jsonlDataset.ts";
import {buildMultiTurnDataset} from "./multiTurnDataset.ts";
import {buildRandomDataset} from "./randomDataset.ts";

/**
 * `count` requests of the configured kind, derived from `seed`.
 * @param jsonlLines the loaded file, required for the jsonl kind.
 */
export function buildDataset(
  dataset: DatasetConfig,
  count: number,
  seed: number,
  counter: TokenCounter,
  jsonlLines?: readonly JsonlRequest[]
): RequestSpec[] {
  switch (dataset.kind) {
    case "random":
      return buildRandomDataset(dataset, count, seed, counter);
    case "chat":
      return buildMultiTurnDataset(dataset, count, seed, counter);
    case "jsonl":
      if (jsonlLines === undefined) throw new Error("the jsonl dataset needs its loaded lines");
      return buildJsonlDataset(jsonlLines, dataset, count, seed, counter);
  }
}
