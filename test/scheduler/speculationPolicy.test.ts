/**
 * The adaptive rule of speculative decoding: the batch caps the draft length, and among the lengths
 * the cap allows the policy runs the one measured fastest, exploring the others now and then, so
 * speculation that costs more than it saves turns itself off and comes back when it pays.
 */
import {describe, expect, it} from "vitest";
import {SpeculationPolicy} from "../../scheduler/SpeculationPolicy.ts";

/**
 * Drives the policy against a cost model for `numSteps` pure decode steps at one batch size; returns
 * the lengths it chose. `tokensPerStep(k)` and `stepMs(k)` describe the hardware and the draft.
 */
function drive(policy: SpeculationPolicy, numDecodes: number, numSteps: number, tokensPerStep: (k: number) => number, stepMs: (k: number) => number): number[] {
  const chosen: number[] = [];
  for (let step = 0; step < numSteps; step++) {
    const numDraftTokens = policy.numDraftTokensFor(numDecodes);
    chosen.push(numDraftTokens);
    policy.recordStep({numDecodes, numDraftTokens, numOutputTokens: numDecodes * tokensPerStep(numDraftTokens), durationMs: stepMs(numDraftTokens)});
  }
  return chosen;
}

function share(values: readonly number[], value: number): number {
  return values.filter((v) => v === value).length / values.length;
}

/**
 * The length the policy settled on: the one it chose most often over the last 32 steps, which is
 * its current length, since an exploration of a neighbour takes at most 4 steps in 32.
 */
function settledLength(chosen: readonly number[]): number {
  const recent = chosen.slice(-32);
  return [...new Set(recent)].reduce((best, length) => (share(recent, length) > share(recent, best) ? length : best));
}

describe("SpeculationPolicy", () => {
  it("starts off, and caps the draft length by batch size: off from 8 decodes with --draft-max 8", () => {
    const policy = new SpeculationPolicy({maxDraftTokens: 8});
    expect([1, 2, 4, 8, 16].map((numDecodes) => policy.numDraftTokensFor(numDecodes))).toEqual([0, 0, 0, 0, 0]);
    // Where drafts are nearly free and always accepted, each bucket climbs to its cap and no further.
    const caps = [1, 2, 4, 8, 16].map((numDecodes) => settledLength(drive(policy, numDecodes, 300, (k) => 1 + k, (k) => 10 + 0.1 * k)));
    expect(caps).toEqual([8, 4, 2, 0, 0]);
    expect(new SpeculationPolicy({maxDraftTokens: 1}).numDraftTokensFor(1)).toBe(0);
  });

  it("climbs to speculation where it is faster: a GPU-like step cost with good acceptance", () => {
    const policy = new SpeculationPolicy({maxDraftTokens: 8});
    // Acceptance 0.8 per token; a step costs 10 ms plus 0.5 ms per draft token.
    const tokensPerStep = (k: number) => (1 - 0.8 ** (k + 1)) / 0.2;
    const chosen = drive(policy, 1, 400, tokensPerStep, (k) => 10 + 0.5 * k);
    // 8 drafts: 4.3 tokens in 14 ms beats 4 (3.4 in 12), 2 (2.4 in 11) and none (1 in 10).
    expect(settledLength(chosen)).toBe(8);
    // Exploration runs the neighbour (4) for 4 steps in 32.
    expect(share(chosen.slice(100), 8)).toBeGreaterThan(0.8);
  });

  it("stays off where speculation is slower: a CPU-like step cost and a costly draft", () => {
    const policy = new SpeculationPolicy({maxDraftTokens: 8});
    // Each draft token costs about 3.4 ms to draft and 3.5 ms to verify (small/small-draft measured
    // near that); 2 drafts: 2.44 tokens in 23 ms, worse than 1 token in 9 ms.
    const tokensPerStep = (k: number) => (1 - 0.8 ** (k + 1)) / 0.2;
    const chosen = drive(policy, 1, 400, tokensPerStep, (k) => 9 + 7 * k);
    expect(settledLength(chosen)).toBe(0);
    // Only the shortest length is ever explored, 4 steps in 32.
    expect(new Set(chosen)).toEqual(new Set([0, 2]));
    expect(share(chosen, 0)).toBeGreaterThan(0.85);
  });

  it("looks less and less often while looking finds nothing", () => {
    const policy = new SpeculationPolicy({maxDraftTokens: 8});
    const chosen = drive(policy, 1, 4000, () => 1, (k) => 10 + 5 * k);
    const numExplorationSteps = chosen.filter((k) => k !== 0).length;
    // At a fixed interval of 32 that would be 4 steps in 36: about 440 of 4000. Doubling after each
    // miss (32, 64, ..., 1024, 1024): 7 explorations of 4 steps.
    expect(numExplorationSteps).toBe(7 * 4);
  });

  it("comes back when speculation starts to pay again, and drops it when acceptance collapses", () => {
    const policy = new SpeculationPolicy({maxDraftTokens: 4});
    const good = (k: number) => 1 + k;
    const useless = () => 1;
    const stepMs = (k: number) => 10 + 2 * k;
    expect(settledLength(drive(policy, 1, 200, good, stepMs))).toBe(4);
    expect(settledLength(drive(policy, 1, 200, useless, stepMs))).toBe(0);
    expect(settledLength(drive(policy, 1, 200, good, stepMs))).toBe(4);
  });

  it("measures each batch-size bucket apart", () => {
    const policy = new SpeculationPolicy({maxDraftTokens: 8});
    const tokensPerStep = (k: number) => 1 + k;
    // Alone, drafts are nearly free; at 2-3 decodes each draft token costs a lot.
    const chosenAlone: number[] = [];
    const chosenPair: number[] = [];
    for (let step = 0; step < 300; step++) {
      const alone = policy.numDraftTokensFor(1);
      chosenAlone.push(alone);
      policy.recordStep({numDecodes: 1, numDraftTokens: alone, numOutputTokens: tokensPerStep(alone), durationMs: 10 + 0.1 * alone});
      const pair = policy.numDraftTokensFor(2);
      chosenPair.push(pair);
      policy.recordStep({numDecodes: 2, numDraftTokens: pair, numOutputTokens: 2 * tokensPerStep(pair), durationMs: 10 + 20 * pair});
    }
    expect(settledLength(chosenAlone)).toBe(8);
    expect(settledLength(chosenPair)).toBe(0);
  });

  it("always drafts the longest length when not adaptive", () => {
    const policy = new SpeculationPolicy({maxDraftTokens: 6, isAdaptive: false});
    expect(drive(policy, 16, 50, () => 1, (k) => 1 + 100 * k).every((k) => k === 6)).toBe(true);
    expect(policy.numDraftTokensFor(0)).toBe(0);
  });

  it("counts verified drafts and refuses impossible counts and settings", () => {
    const policy = new SpeculationPolicy({maxDraftTokens: 4});
    expect(policy.acceptanceRate).toBeNull();
    policy.recordVerified(4, 3);
    policy.recordVerified(0, 0);
    expect(policy.acceptanceRate).toBe(0.75);
    // Totals, not an average of rates: (3 + 1) / (4 + 4).
    policy.recordVerified(4, 1);
    expect(policy.acceptanceRate).toBe(0.5);
    expect(() => policy.recordVerified(2, 3)).toThrow(RangeError);
    expect(() => policy.recordVerified(-1, 0)).toThrow(RangeError);
    expect(() => new SpeculationPolicy({maxDraftTokens: 1.5})).toThrow(RangeError);
    expect(() => new SpeculationPolicy({maxDraftTokens: 4, smoothing: 0})).toThrow(RangeError);
  });
});
