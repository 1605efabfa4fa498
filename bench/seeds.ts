/**
 * The seeding scheme of a run, in one place: every random stream (dataset, arrivals, warm-up) of
 * every level and round derives from the configured seed, so two runs with the same seed send the
 * same requests at the same offsets, and servers A and B get identical rounds.
 */
import {deriveSeed} from "./random.ts";

/** Seeds of round `round` at level index `levelIndex`. */
export function roundSeeds(seed: number, levelIndex: number, round: number): {readonly dataset: number; readonly arrivals: number} {
  const base = deriveSeed(seed, "level", levelIndex, "round", round);
  return {dataset: base, arrivals: deriveSeed(base, "arrivals")};
}

/** Seed of the warm-up requests, apart from every measured round. */
export function warmupSeed(seed: number): number {
  return deriveSeed(seed, "warmup");
}
