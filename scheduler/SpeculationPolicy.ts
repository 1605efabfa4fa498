/**
 * How many draft tokens each decoding request may propose this step: the adaptive rule of
 * speculative decoding. Whether speculation pays depends on the hardware (on a CPU a batch of 4
 * tokens costs one and a half to three times a batch of 1, by weight type; on a GPU almost the same), on the draft's cost relative to
 * the target, on the acceptance rate and on the batch size. So the rule measures instead of
 * assuming. Owns that decision and the measurements; does not draft or verify (the engine does).
 *
 * The rule:
 *   1. Batch cap: with `numDecodes` requests in decode, k <= maxDraftTokens >> floor(log2(numDecodes))
 *      (8, 4, 2, 1 at 1, 2-3, 4-7, 8-15 decodes for --draft-max 8); a cap below 3 turns speculation
 *      off. A wide batch already uses the hardware; vLLM measured drafts making such batches slower,
 *      and on a CPU one or two drafts cost more to verify than they yield.
 *   2. Measured choice: the candidate lengths are 0 (off), 3, 7, 15, ... below the cap, and the cap
 *      itself: verify widths of 4, 8, 16 tokens, which fill the tiles batched kernels work in.
 *      A step's tokens are counted as its drafts' expected yield at the measured per-token
 *      acceptance (accepted drafts over accepted drafts plus rejections, over the last few hundred
 *      verifications), so a lucky or unlucky handful of steps does not decide. Each batch-size bucket runs one current length, starting at 0, and keeps a moving
 *      average of its output tokens per millisecond over pure decode steps (no prefill in them).
 *      Every `exploreIntervalSteps` (32) steps it runs a neighbouring length, one up or one down, for
 *      one unmeasured warm-up step (a draft model catches up on the tokens it missed) and
 *      `minSamplesPerLength` (6) measured ones, and moves there if that was faster than the current
 *      length's last 4 steps before it (speed drifts, so only neighbouring steps compare): turning
 *      speculation on must be `switchMargin` (10%) faster, a longer draft length once on half that,
 *      a shorter one only faster (so speculation is adopted only when it clearly pays, and two close
 *      lengths do not alternate). After a move it explores the
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
  /** Measured steps an exploration of a neighbouring length runs (after one unmeasured warm-up step). Default 6. */
  readonly minSamplesPerLength?: number;
  /** Every this many steps of a bucket, explore a neighbouring length. Default 32. */
  readonly exploreIntervalSteps?: number;
  /**
   * How much faster drafting must measure than not drafting to be adopted; a longer draft length
   * than the current one, half that; a shorter one need only be faster. Default 0.1.
   */
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
  /**
   * The drafts the step verified: each verifying request's draft length, and how many of all of them
   * were accepted. With it, a step counts the tokens its drafts were expected to give at the measured
   * acceptance rate instead of the luck of this one step.
   */
  readonly verified?: {readonly draftLengths: readonly number[]; readonly numAcceptedTokens: number};
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

/** Per verifying step, the weight left to what the acceptance estimate saw before. */
const ACCEPTANCE_DECAY = 0.99;

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
  /** Recent accepted drafts and rejections, decaying: the per-token acceptance estimate. */
  #recentAccepted = 0;
  #recentRejections = 0;

  constructor(config: SpeculationPolicyOptions) {
    requireInteger("maxDraftTokens", config.maxDraftTokens, 0);
    this.#maxDraftTokens = config.maxDraftTokens;
    this.#smoothing = config.smoothing ?? 0.2;
    if (!(this.#smoothing > 0 && this.#smoothing <= 1)) throw new RangeError(`smoothing must be within (0, 1], got ${this.#smoothing}`);
    this.#minSamples = config.minSamplesPerLength ?? 6;
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
    // Hysteresis: up only when clearly faster, down as soon as faster; between the two, stay. Once
    // speculation pays, a longer length needs half the margin: the climb goes on past a small step.
    const upMargin = bucket.current === 0 ? this.#switchMargin : this.#switchMargin / 2;
    const threshold = currentTokensPerMs * (isLonger ? 1 + upMargin : 1);
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

  /**
   * The chance that a draft token is accepted given that the one before it was: accepted drafts
   * over accepted drafts plus verifications that ended in a rejection. Null before any rejection or
   * acceptance was seen.
   */
  get perTokenAcceptance(): number | null {
    const total = this.#recentAccepted + this.#recentRejections;
    return total > 0 ? this.#recentAccepted / total : null;
  }

  /**
   * The tokens a step is credited with: what it produced, with its accepted drafts replaced by the
   * number expected from its draft lengths at the measured acceptance. A step with 3 drafts gives 1
   * to 4 tokens by luck; comparing draft lengths on a few such steps would follow the luck.
   */
  #creditedTokens(sample: DecodeStepSample): number {
    const acceptance = this.perTokenAcceptance;
    if (sample.verified === undefined || acceptance === null) return sample.numOutputTokens;
    let expected = 0;
    for (const length of sample.verified.draftLengths) {
      for (let i = 1, p = acceptance; i <= length; i++, p *= acceptance) expected += p;
    }
    return sample.numOutputTokens - sample.verified.numAcceptedTokens + expected;
  }

  /** Takes the timing of a pure decode step run with the length this policy chose. */
  recordStep(measured: DecodeStepSample): void {
    const bucket = this.#bucketFor(measured.numDecodes);
    if (bucket === null || !(measured.durationMs > 0) || measured.numOutputTokens <= 0) return;
    const sample = {...measured, numOutputTokens: this.#creditedTokens(measured)};
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

  /**
   * Takes one step's verified drafts (all requests together), for the acceptance counters and the
   * acceptance estimate: `numRejections` is how many requests' drafts ended in a rejected token.
   */
  recordVerified(numDraftTokens: number, numAcceptedTokens: number, numRejections = 0): void {
    requireInteger("numDraftTokens", numDraftTokens, 0);
    requireInteger("numAcceptedTokens", numAcceptedTokens, 0);
    requireInteger("numRejections", numRejections, 0);
    if (numAcceptedTokens + numRejections > numDraftTokens) {
      throw new RangeError(`${numAcceptedTokens} accepted and ${numRejections} rejected of ${numDraftTokens} draft tokens`);
    }
    this.#numDraftTokensTotal += numDraftTokens;
    this.#numAcceptedTokensTotal += numAcceptedTokens;
    if (numDraftTokens === 0) return;
    // Acceptance follows the text being written: the estimate weighs the last few hundred drafts.
    this.#recentAccepted = this.#recentAccepted * ACCEPTANCE_DECAY + numAcceptedTokens;
    this.#recentRejections = this.#recentRejections * ACCEPTANCE_DECAY + numRejections;
  }

  /** The bucket of a batch size; null when its cap leaves nothing to choose (speculation off). */
  #bucketFor(numDecodes: number): Bucket | null {
    if (numDecodes < 1) return null;
    const index = Math.floor(Math.log2(numDecodes));
    const cap = this.#maxDraftTokens >> index;
    if (cap < 3) return null;
    let bucket = this.#buckets.get(index);
    if (bucket === undefined) {
      // Verify widths (drafts + 1) of powers of two from 4: CPU kernels take a batch's tokens in
      // tiles of 4 or 8 (3 drafts can verify faster than 2, and 1 draft gains too little to tell
      // from noise), and GPUs in wider ones.
      const candidates = [0];
      for (let length = 3; length < cap; length = 2 * length + 1) candidates.push(length);
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
