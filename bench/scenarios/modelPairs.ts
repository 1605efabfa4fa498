/**
 * Target/draft pairs as scenarios name them on the command line: `small:small-draft` (two synthetic
 * presets) or `target.gguf+draft.gguf` (two files), comma-separated. Owns that syntax only.
 */
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";

export interface ModelPair {
  /** As written on the command line. */
  readonly label: string;
  /** What `--model` and `--draft-model` take: `synthetic:NAME` or a path. */
  readonly target: string;
  readonly draft: string;
  readonly targetPath: string;
  readonly draftPath: string;
}

/** Parses a comma-separated list of pairs, generating synthetic ones on first use. */
export function parseModelPairs(list: string): ModelPair[] {
  return list.split(",").map((label) => {
    const parts = label.includes("+") ? label.split("+") : label.split(":").map((name) => `synthetic:${name}`);
    if (parts.length !== 2 || parts.some((part) => part.length === 0)) {
      throw new Error(`a pair is target:draft (synthetic names) or target.gguf+draft.gguf, got "${label}"`);
    }
    const [target, draft] = parts as [string, string];
    return {label, target, draft, targetPath: resolveModelSource(target).path, draftPath: resolveModelSource(draft).path};
  });
}
