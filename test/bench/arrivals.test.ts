/**
 * The Poisson arrival generator, tested as a pure function (seeded, no waiting): the mean rate
 * within 5% of the requested one, exponential gaps, determinism, and the limits.
 */
import {describe, expect, it} from "vitest";
import {poissonArrivalTimes} from "../../bench/arrivals.ts";

function gaps(times: readonly number[]): number[] {
  return times.map((time, i) => time - (i === 0 ? 0 : (times[i - 1] ?? 0)));
}

describe("poissonArrivalTimes", () => {
  it.each([
    [0.5, 1],
    [4, 2],
    [10, 3],
    [250, 4]
  ])("has the requested mean rate within 5%% (rate %d/s, seed %d)", (rate, seed) => {
    const times = poissonArrivalTimes({ratePerSecond: rate, maxCount: 5_000, seed});
    expect(times).toHaveLength(5_000);
    const lastSeconds = (times[times.length - 1] ?? 0) / 1000;
    expect(Math.abs(times.length / lastSeconds - rate) / rate).toBeLessThan(0.05);
  });

  it("has exponential gaps: coefficient of variation 1, P(gap > mean) = 1/e", () => {
    const values = gaps(poissonArrivalTimes({ratePerSecond: 20, maxCount: 20_000, seed: 7}));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.05);
    const above = values.filter((value) => value > mean).length / values.length;
    expect(Math.abs(above - Math.exp(-1))).toBeLessThan(0.02);
    expect(values.every((value) => value > 0)).toBe(true);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const options = {ratePerSecond: 3, maxCount: 50};
    expect(poissonArrivalTimes({...options, seed: 42})).toEqual(poissonArrivalTimes({...options, seed: 42}));
    expect(poissonArrivalTimes({...options, seed: 42})).not.toEqual(poissonArrivalTimes({...options, seed: 43}));
  });

  it("stops at the duration or the count, whichever comes first", () => {
    const byDuration = poissonArrivalTimes({ratePerSecond: 100, maxCount: 1_000_000, durationMs: 10_000, seed: 5});
    expect(byDuration.every((time) => time < 10_000)).toBe(true);
    expect(Math.abs(byDuration.length - 1_000) / 1_000).toBeLessThan(0.1);
    expect(poissonArrivalTimes({ratePerSecond: 100, maxCount: 10, durationMs: 10_000, seed: 5})).toHaveLength(10);
  });

  it("puts every arrival at 0 for an infinite rate, and rejects a rate of 0", () => {
    expect(poissonArrivalTimes({ratePerSecond: Infinity, maxCount: 3, seed: 0})).toEqual([0, 0, 0]);
    expect(() => poissonArrivalTimes({ratePerSecond: 0, maxCount: 3, seed: 0})).toThrow(RangeError);
  });
});
