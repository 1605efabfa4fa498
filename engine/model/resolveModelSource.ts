/**
 * Interprets the `--model` argument: nothing (the default tiny synthetic model), `synthetic:NAME` or
 * `synthetic:NAME:SEED` (a generated preset), or a path to any GGUF file. Checks the file before
 * node-llama-cpp sees it, so a missing or corrupt file fails with one clear line. Owns that decision;
 * loading is `loadLlamaRuntime.ts`'s.
 */
import {closeSync, existsSync, openSync, readSync, statSync} from "node:fs";
import {basename, extname, resolve} from "node:path";
import {EngineError} from "../errors.ts";
import {ensureSyntheticModel} from "../synthetic/ensureSyntheticModel.ts";

export interface ModelSource {
  readonly path: string;
  /** The name clients send as `model` unless `--model-name` overrides it. */
  readonly defaultName: string;
  /** A line for the start-up log. */
  readonly description: string;
}

export const DEFAULT_MODEL = "synthetic:tiny";

export function resolveModelSource(model: string | undefined, cacheDir?: string): ModelSource {
  const spec = model && model.length > 0 ? model : DEFAULT_MODEL;
  if (spec.startsWith("synthetic:")) {
    const [, preset = "", seedText = "1"] = spec.split(":");
    const seed = Number(seedText);
    if (!Number.isInteger(seed) || seed < 0) throw new EngineError("model_load_failed", `invalid seed in --model ${spec}`);
    let ensured;
    try {
      ensured = ensureSyntheticModel(preset, seed, cacheDir);
    } catch (error) {
      throw new EngineError("model_load_failed", (error as Error).message);
    }
    const action = ensured.wasGenerated ? "generated" : "using cached";
    return {
      path: ensured.path,
      defaultName: preset,
      description: `${action} synthetic model "${preset}" (seed ${seed}, random weights: output is gibberish) at ${ensured.path}`
    };
  }
  const path = resolve(spec);
  checkGgufFile(path);
  return {path, defaultName: basename(path, extname(path)), description: `model file ${path}`};
}

/** A GGUF starts with the magic "GGUF"; anything else would crash deeper with a worse message. */
function checkGgufFile(path: string): void {
  if (!existsSync(path)) throw new EngineError("model_load_failed", `model file not found: ${path}`);
  if (!statSync(path).isFile()) throw new EngineError("model_load_failed", `model path is not a file: ${path}`);
  const magic = Buffer.alloc(4);
  const fd = openSync(path, "r");
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (magic.toString("latin1") !== "GGUF") throw new EngineError("model_load_failed", `not a GGUF file (bad magic): ${path}`);
}
