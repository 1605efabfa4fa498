/**
 * Orders idle sequences for placement: which one a request takes when none holds a useful prefix
 * (a miss), and which of several holding the same prefix (a tie). The longest prefix itself wins
 * before either. Owns only these comparisons; the prefix search itself is PrefixLookup's.
 *
 * Why runs matter: node-llama-cpp gives every sequence its own KV stream, and llama.cpp then splits a
 * batch into micro-batches of consecutive increasing sequence ids (`split_equal(..., sequential)`),
 * each a full pass over the weights. Four running sequences at 0-3 decode in one pass; at 0, 2, 4, 6
 * in four.
 */

/** What placement needs to know of a sequence. */
export interface PlacementCandidate {
  readonly index: number;
  readonly isRunning: boolean;
  readonly lastUsedTick: number;
}

/** Least recently used first; never-used sequences (tick 0) before all others; then the lower index. */
function isLessRecentlyUsed(a: PlacementCandidate, b: PlacementCandidate): boolean {
  return a.lastUsedTick < b.lastUsedTick || (a.lastUsedTick === b.lastUsedTick && a.index < b.index);
}

/**
 * Whether `a` is a better place than `b` for a request that finds the same prefix in both (or none):
 * the one adding fewer runs of consecutive running sequences (filling a hole between two running
 * ones first, then extending a run), then the least recently used. `sequences` is indexed by
 * sequence index.
 */
export function isBetterPlacement(a: PlacementCandidate, b: PlacementCandidate, sequences: readonly PlacementCandidate[]): boolean {
  const difference = runsAdded(a, sequences) - runsAdded(b, sequences);
  return difference < 0 || (difference === 0 && isLessRecentlyUsed(a, b));
}

/** The idle sequence a request without a cached prefix takes (see isBetterPlacement). */
export function chooseForMiss<T extends PlacementCandidate>(sequences: readonly T[]): T {
  const idle = sequences.filter(({isRunning}) => !isRunning);
  if (idle.length === 0) throw new Error("no idle sequence to place a request in");
  return idle.reduce((best, candidate) => (isBetterPlacement(candidate, best, sequences) ? candidate : best));
}

function runsAdded({index}: PlacementCandidate, sequences: readonly PlacementCandidate[]): number {
  const isRunningAt = (at: number): boolean => sequences[at]?.isRunning === true;
  return 1 - Number(isRunningAt(index - 1)) - Number(isRunningAt(index + 1));
}
