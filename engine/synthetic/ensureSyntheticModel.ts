/**
 * Generates a synthetic preset once into a cache folder and returns its path; later calls reuse the
 * file. The file name carries the preset, the seed and the writer version, so a change to the writer
 * regenerates instead of serving stale bytes. Owns the cache layout only.
 */
import {existsSync, mkdirSync} from "node:fs";
import {join, resolve} from "node:path";
import {getSyntheticPreset} from "./presets.ts";
import {SYNTHETIC_WRITER_VERSION, writeSyntheticModel} from "./writeSyntheticModel.ts";

/** Git-ignored folder beside the project's package.json, unless INFLIGHT_CACHE_DIR says otherwise. */
export function defaultCacheDir(): string {
  return resolve(process.env.INFLIGHT_CACHE_DIR ?? join(import.meta.dirname, "..", "..", ".cache"));
}

export interface EnsuredModel {
  readonly path: string;
  readonly wasGenerated: boolean;
}

export function ensureSyntheticModel(presetName: string, seed = 1, cacheDir = defaultCacheDir()): EnsuredModel {
  const preset = getSyntheticPreset(presetName);
  const folder = join(cacheDir, "models");
  const path = join(folder, `synthetic-${preset.name}-seed${seed}-v${SYNTHETIC_WRITER_VERSION}.gguf`);
  if (existsSync(path)) return {path, wasGenerated: false};
  mkdirSync(folder, {recursive: true});
  writeSyntheticModel(path, {preset, seed});
  return {path, wasGenerated: true};
}
