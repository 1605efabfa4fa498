/**
 * Tail latency by design: how many prefill tokens a step may carry beside its decodes, so that the
 * streams in decode keep a steady pace. Every decode in a step waits for the whole step, so a step
 * that also prefills a long prompt stalls every running stream for that long. The pacer bounds a
 * step's time with decodes to a target inter-token latency and fills what is left with prefill,
 * the way Sarathi-Serve bounds stalls, but with the costs measured online instead of profiled:
 *   - a pure decode step's time, per number of decodes (moving average);
 *   - what prefill adds to a step beside its decodes, as a fixed part plus a part per prompt token
 *     (a least-squares line over recent steps, older ones weighing less). The fixed part is real:
 *     where llama.cpp splits a step with prompt chunks into more micro-batches than its decodes
 *     alone need (per-sequence KV streams on CPU), every chunk costs one more pass over the weights.
 * The target is fixed (`targetItlMs`) or "auto": AUTO_ITL_FACTOR times the pure decode step, so a
 * stream's slowest tokens take at most that many decode steps whatever the hardware. A step always
 * gets at least MIN_PREFILL_TOKENS of prefill (prompts keep moving however slow the estimate says
 * they are), and at least as many as make the fixed part no more than the per-token part (smaller
 * chunks would spend more on passes than on prompts, so a stream would stall longer in total);
 * a step without decodes is not bounded (no stream waits on it), and neither is one before the costs
 * are known. Steps with draft tokens are not measured (their decodes cost more than one token).
 */

/** A fixed target in milliseconds, "auto" (a multiple of the measured decode step) or 0 (no bound). */
export type TargetItlMs = number | "auto";

/** "auto": a stream's token may take this many pure decode steps when a prompt is prefilled beside it. */
export const AUTO_ITL_FACTOR = 2;

/** Prefill tokens every step may carry, whatever the estimate. */
export const MIN_PREFILL_TOKENS = 16;

/** Weight of the newest sample in the decode steps' moving averages. */
const SMOOTHING = 0.2;

/** How much each older prefill sample weighs less than the one after it. */
const PREFILL_DECAY = 0.95;

/** Sums of the weighted least-squares line of prefill cost against prompt tokens. */
interface PrefillFit {
  weight: number;
  tokens: number;
  tokensSquared: number;
  cost: number;
  tokensCost: number;
}

interface StepInFlight {
  readonly numDecodes: number;
  readonly numPrefillTokens: number;
  readonly startMs: number;
}

export class StepPacer {
  readonly #targetItlMs: TargetItlMs;
  readonly #clock: () => number;
  /** Pure decode step time by number of decodes. */
  readonly #decodeStepMs = new Map<number, number>();
  readonly #prefill: PrefillFit = {weight: 0, tokens: 0, tokensSquared: 0, cost: 0, tokensCost: 0};
  #step: StepInFlight | null = null;

  constructor(targetItlMs: TargetItlMs, clock: () => number) {
    if (targetItlMs !== "auto" && !(Number.isFinite(targetItlMs) && targetItlMs > 0)) {
      throw new RangeError(`targetItlMs must be a positive number of milliseconds or "auto", got ${String(targetItlMs)}`);
    }
    this.#targetItlMs = targetItlMs;
    this.#clock = clock;
  }

  /** Prefill tokens a step with `numDecodes` decodes may carry: Infinity when not bounded. */
  maxNumPrefillTokens(numDecodes: number): number {
    const cost = this.prefillCost;
    const decodeMs = numDecodes === 0 ? null : this.decodeStepMs(numDecodes);
    if (cost === null || decodeMs === null) return Infinity;
    const targetMs = this.#targetItlMs === "auto" ? AUTO_ITL_FACTOR * decodeMs : this.#targetItlMs;
    const numFitting = Math.floor((targetMs - decodeMs - cost.fixedMs) / cost.msPerToken);
    return Math.max(MIN_PREFILL_TOKENS, Math.ceil(cost.fixedMs / cost.msPerToken), numFitting);
  }

  /** The measured pure decode step time for `numDecodes` decodes, or the nearest count's; null before any. */
  decodeStepMs(numDecodes: number): number | null {
    let nearest: number | null = null;
    for (const count of this.#decodeStepMs.keys()) {
      const distance = Math.abs(count - numDecodes);
      if (nearest === null || distance < Math.abs(nearest - numDecodes) || (distance === Math.abs(nearest - numDecodes) && count > nearest)) nearest = count;
    }
    return nearest === null ? null : this.#decodeStepMs.get(nearest)!;
  }

  /**
   * What prefill adds to a step: `fixedMs + msPerToken x tokens`; null before it is known. Where the
   * samples cannot carry a line with a positive slope and no negative fixed part (chunks of about one
   * size, or noise), it is all per token.
   */
  get prefillCost(): {readonly fixedMs: number; readonly msPerToken: number} | null {
    const {weight, tokens, tokensSquared, cost, tokensCost} = this.#prefill;
    if (weight === 0) return null;
    const meanTokens = tokens / weight;
    const meanCost = cost / weight;
    // A step whose prefill cost nothing measurable bounds nothing.
    if (meanCost <= 0) return null;
    const variance = tokensSquared / weight - meanTokens * meanTokens;
    const slope = variance > 1 ? (tokensCost / weight - meanTokens * meanCost) / variance : 0;
    const fixedMs = meanCost - slope * meanTokens;
    return slope > 0 && fixedMs >= 0 ? {fixedMs, msPerToken: slope} : {fixedMs: 0, msPerToken: meanCost / meanTokens};
  }

  /** Starts timing a built step; a step with draft tokens is not timed. */
  beginStep(numDecodes: number, numPrefillTokens: number, numDraftTokens: number): void {
    const isTimed = numDraftTokens === 0 && numDecodes + numPrefillTokens > 0;
    this.#step = isTimed ? {numDecodes, numPrefillTokens, startMs: this.#clock()} : null;
  }

  /** Ends the step `beginStep` started and folds its time into the estimates. */
  endStep(): void {
    const step = this.#step;
    this.#step = null;
    if (step === null) return;
    const durationMs = this.#clock() - step.startMs;
    const {numDecodes, numPrefillTokens} = step;
    if (numPrefillTokens === 0) {
      this.#decodeStepMs.set(numDecodes, smooth(this.#decodeStepMs.get(numDecodes) ?? null, durationMs));
      return;
    }
    const decodeMs = numDecodes === 0 ? 0 : this.decodeStepMs(numDecodes);
    // A few prefill tokens say more about the decodes' noise than about prefill.
    if (decodeMs === null || numPrefillTokens < MIN_PREFILL_TOKENS) return;
    const extraMs = Math.max(0, durationMs - decodeMs);
    const fit = this.#prefill;
    for (const key of ["weight", "tokens", "tokensSquared", "cost", "tokensCost"] as const) fit[key] *= PREFILL_DECAY;
    fit.weight += 1;
    fit.tokens += numPrefillTokens;
    fit.tokensSquared += numPrefillTokens * numPrefillTokens;
    fit.cost += extraMs;
    fit.tokensCost += numPrefillTokens * extraMs;
  }
}

function smooth(average: number | null, sample: number): number {
  return average === null ? sample : average + SMOOTHING * (sample - average);
}
