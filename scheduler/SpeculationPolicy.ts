/**
 * How many draft tokens each decoding request may propose this step: the adaptive rule of
 * speculative decoding. Whether speculation pays depends on the hardware (on a CPU a batch of 5
 * tokens costs about twice a batch of 1; on a GPU almost the same), on the draft's cost relative to
 * the target, on the acceptance rate and on the batch size. So the rule measures instead of
 * assuming. Owns that decision and the measurements; does not draft or verify (the engine does).
 *
 * The rule:
 *   1. Batch cap: with `numDecodes` requests in decode, k <= maxDraftTokens >> floor(log2(numDecodes))
 *      (8, 4, 2, 1 at 1, 2-3, 4-7, 8-15 decodes for --draft-max 8); a cap below 2 turns speculation
 *      off. A wide batch already uses the hardware; vLLM measured drafts making such batches slower.
 *   2. Measured choice: the candidate lengths are 0 (off), 2, 4, ... up to the cap (and the cap
 *      itself). Each batch-size bucket runs one current length, starting at 0, and keeps a moving
 *      average of its output tokens per millisecond over pure decode steps (no prefill in them).
 *      Every `exploreIntervalSteps` (32) steps it runs a neighbouring length, one up or one down, for
 *      one unmeasured warm-up step (a draft model catches up on the tokens it missed) and
 *      `minSamplesPerLength` (3) measured ones, and moves there if that was faster than the current
 *      length's last 4 steps before it (speed drifts, so only neighbouring steps compare): a longer length
 *      must be `switchMargin` (10%) faster, a shorter one only faster (so speculation is adopted only
 *      when it clearly pays, and two close lengths do not alternate). After a move it explores the
 *      same way next, 32 steps later; after an exploration that did not move, it waits twice as long
 *      as before (up to 32 x 32 steps), because looking costs: a wider verify, and a draft model
 *      catching up on every token since it last ran. So it climbs to the best length where
 *      speculation pays clearly, stays off where it does not at a price that shrinks over time, and
 *      still follows changes (acceptance falling with another kind of text, longer contexts).
 */

export interface SpeculationPolicyOptions {
  /** Most draft tokens one request proposes in one step (--draft-max). */
  readonly maxDraftTokens: number;
  /** Weight of the newest step in each moving average. Default 0.2. */
  readonly smoothing?: number;
  /** Measured steps an exploration of a neighbouring length runs (after one unmeasured warm-up step). Default 3. */
  readonly minSamplesPerLength?: number;
  /** Every this many steps of a bucket, explore a neighbouring length. Default 32. */
  readonly exploreIntervalSteps?: number;
  /** How much faster a longer draft length must measure to be adopted (a shorter one need only be faster). Default 0.1. */
  readonly switchMargin?: number;
  /** False: always `maxDraftTokens`, whatever the batch and the timings (for tests and comparisons). Default true. */
  readonly isAdaptive?: boolean;
}

/** One pure decode step (no prefill in it), as the scheduler saw it. */
export interface DecodeStepSample {
  readonly numDecodes: number;
  /** The draft length the step ran with (what `numDraftTokensFor` returned). */
  readonly numDraftTokens: number;
  /** Tokens the step added to the outputs, accepted drafts included. */
  readonly numOutputTokens: number;
  readonly durationMs: number;
}

interface LengthStats {
  readonly numDraftTokens: number;
  numSamples: number;
  tokensPerMs: number;
}

interface Exploration {
  readonly index: number;
  numStepsLeft: number;
  /** The first step is not measured: a draft model catches up on every token since it last ran. */
  isWarmedUp: boolean;
  numOutputTokens: number;
  durationMs: number;
}

interface Bucket {
  /** Ascending: 0 first. */
  readonly lengths: LengthStats[];
  current: number;
  /** The neighbour being explored, the steps it has left and what they measured; null between explorations. */
  exploring: Exploration | null;
  isNextExplorationUp: boolean;
  /**
   * The current length's latest steps (tokens, ms), compared with an exploration: this machine's
   * speed drifts by tens of percent within minutes, so only neighbouring steps compare.
   */
  readonly recent: {numOutputTokens: number; durationMs: number}[];
  /** Steps until the next exploration. */
  numStepsToExploration: number;
  /** Grows while explorations do not move; back to the configured interval after a move. */
  explorationInterval: number;
}

/** Steps of the current length an exploration is compared with: those just before it. */
const RECENT_STEPS = 4;

/** Explorations that find nothing stretch the interval up to this many times the configured one. */
const MAX_INTERVAL_GROWTH = 32;

export class SpeculationPolicy {
  readonly #maxDraftTokens: number;
  readonly #smoothing: number;
  readonly #minSamples: number;
  readonly #exploreInterval: number;
  readonly #isAdaptive: boolean;
  readonly #switchMargin: number;
  readonly #buckets = new Map<number, Bucket>();
  #numDraftTokensTotal = 0;
  #numAcceptedTokensTotal = 0;

  constructor(config: SpeculationPolicyOptions) {
    requireInteger("maxDraftTokens", config.maxDraftTokens, 0);
    this.#maxDraftTokens = config.maxDraftTokens;
    this.#smoothing = config.smoothing ?? 0.2;
    if (!(this.#smoothing > 0 && this.#smoothing <= 1)) throw new RangeError(`smoothing must be within (0, 1], got ${this.#smoothing}`);
    this.#minSamples = config.minSamplesPerLength ?? 3;
    requireInteger("minSamplesPerLength", this.#minSamples, 1);
    this.#exploreInterval = config.exploreIntervalSteps ?? 32;
    requireInteger("exploreIntervalSteps", this.#exploreInterval, 2);
    this.#isAdaptive = config.isAdaptive ?? true;
    this.#switchMargin = config.switchMargin ?? 0.1;
    if (!(this.#switchMargin >= 0 && this.#switchMargin < 1)) throw new RangeError(`switchMargin must be within [0, 1), got ${this.#switchMargin}`);
  }

  /** Accepted over proposed draft tokens since start; null before any draft was verified. */
  get acceptanceRate(): number | null {
    return this.#numDraftTokensTotal === 0 ? null : this.#numAcceptedTokensTotal / this.#numDraftTokensTotal;
  }

  /** Draft tokens each decoding request may propose in a step with `numDecodes` decodes; 0 = off. */
  numDraftTokensFor(numDecodes: number): number {
    if (!this.#isAdaptive) return numDecodes < 1 ? 0 : this.#maxDraftTokens;
    const bucket = this.#bucketFor(numDecodes);
    if (bucket === null) return 0;
    this.#settleExploration(bucket);
    if (bucket.exploring === null && --bucket.numStepsToExploration <= 0) this.#startExploration(bucket);
    if (bucket.exploring !== null) {
      bucket.exploring.numStepsLeft--;
      return bucket.lengths[bucket.exploring.index]!.numDraftTokens;
    }
    return bucket.lengths[bucket.current]!.numDraftTokens;
  }

  /** After an exploration's last step was recorded: move to the explored length if it was faster. */
  #settleExploration(bucket: Bucket): void {
    const exploring = bucket.exploring;
    if (exploring === null || exploring.numStepsLeft > 0) return;
    bucket.exploring = null;
    if (exploring.durationMs <= 0) return;
    const explored = bucket.lengths[exploring.index]!;
    explored.tokensPerMs = exploring.numOutputTokens / exploring.durationMs;
    explored.numSamples = 1;
    const current = bucket.lengths[bucket.current]!;
    const isLonger = exploring.index > bucket.current;
    const recentMs = bucket.recent.reduce((sum, step) => sum + step.durationMs, 0);
    const currentTokensPerMs = recentMs > 0 ? bucket.recent.reduce((sum, step) => sum + step.numOutputTokens, 0) / recentMs : current.tokensPerMs;
    // Hysteresis: up only when clearly faster, down as soon as faster; between the two, stay.
    const threshold = currentTokensPerMs * (isLonger ? 1 + this.#switchMargin : 1);
    if (current.numSamples === 0 || explored.tokensPerMs > threshold) {
      bucket.current = exploring.index;
      bucket.recent.length = 0;
      // Keep going the way that paid, and soon.
      bucket.isNextExplorationUp = isLonger;
      bucket.explorationInterval = this.#exploreInterval;
    } else {
      // Looking costs (a draft model catches up, a wider verify); look less often while it finds nothing.
      bucket.explorationInterval = Math.min(bucket.explorationInterval * 2, this.#exploreInterval * MAX_INTERVAL_GROWTH);
    }
    bucket.numStepsToExploration = bucket.explorationInterval;
  }

  #startExploration(bucket: Bucket): void {
    const up = bucket.current + 1 < bucket.lengths.length ? bucket.current + 1 : null;
    const down = bucket.current > 0 ? bucket.current - 1 : null;
    const index = (bucket.isNextExplorationUp ? up ?? down : down ?? up);
    bucket.isNextExplorationUp = !bucket.isNextExplorationUp;
    if (index === null) {
      bucket.numStepsToExploration = bucket.explorationInterval;
      return;
    }
    // The exploration's own steps decide, not what this length measured long ago.
    bucket.exploring = {index, numStepsLeft: this.#minSamples + 1, isWarmedUp: false, numOutputTokens: 0, durationMs: 0};
  }

  /** Takes the timing of a pure decode step run with the length this policy chose. */
  recordStep(sample: DecodeStepSample): void {
    const bucket = this.#bucketFor(sample.numDecodes);
    if (bucket === null || !(sample.durationMs > 0) || sample.numOutputTokens <= 0) return;
    const exploring = bucket.exploring;
    if (exploring !== null && bucket.lengths[exploring.index]!.numDraftTokens === sample.numDraftTokens) {
      if (exploring.isWarmedUp) {
        exploring.numOutputTokens += sample.numOutputTokens;
        exploring.durationMs += sample.durationMs;
      }
      exploring.isWarmedUp = true;
      return;
    }
    const stats = bucket.lengths.find(({numDraftTokens}) => numDraftTokens === sample.numDraftTokens);
    if (stats === undefined) return;
    if (stats === bucket.lengths[bucket.current]) {
      bucket.recent.push({numOutputTokens: sample.numOutputTokens, durationMs: sample.durationMs});
      if (bucket.recent.length > RECENT_STEPS) bucket.recent.shift();
    }
    const tokensPerMs = sample.numOutputTokens / sample.durationMs;
    stats.tokensPerMs = stats.numSamples === 0 ? tokensPerMs : stats.tokensPerMs + this.#smoothing * (tokensPerMs - stats.tokensPerMs);
    stats.numSamples++;
  }

  /** Takes one step's verified drafts (all requests together), for the acceptance counters. */
  recordVerified(numDraftTokens: number, numAcceptedTokens: number): void {
    requireInteger("numDraftTokens", numDraftTokens, 0);
    requireInteger("numAcceptedTokens", numAcceptedTokens, 0);
    if (numAcceptedTokens > numDraftTokens) throw new RangeError(`${numAcceptedTokens} accepted of ${numDraftTokens} draft tokens`);
    this.#numDraftTokensTotal += numDraftTokens;
    this.#numAcceptedTokensTotal += numAcceptedTokens;
  }

  /** The bucket of a batch size; null when its cap leaves nothing to choose (speculation off). */
  #bucketFor(numDecodes: number): Bucket | null {
    if (numDecodes < 1) return null;
    const index = Math.floor(Math.log2(numDecodes));
    const cap = this.#maxDraftTokens >> index;
    if (cap < 2) return null;
    let bucket = this.#buckets.get(index);
    if (bucket === undefined) {
      const candidates = [0];
      for (let length = 2; length < cap; length *= 2) candidates.push(length);
      candidates.push(cap);
      bucket = {
        lengths: candidates.map((numDraftTokens) => ({numDraftTokens, numSamples: 0, tokensPerMs: 0})),
        current: 0, exploring: null, isNextExplorationUp: true, recent: [],
        numStepsToExploration: this.#exploreInterval, explorationInterval: this.#exploreInterval
      };
      this.#buckets.set(index, bucket);
    }
    return bucket;
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}
