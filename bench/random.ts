/**
 * Seeded randomness for everything the bench chooses: prompt words, lengths, arrival gaps. The same
 * seed gives the same sequence on every machine and Node version, which `Math.random` cannot
 * promise. Not for cryptography; this file knows nothing of requests or datasets.
 */

/** A deterministic source of numbers in [0, 1) and the few derived draws the bench needs. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Exponentially distributed with the given rate (mean `1 / rate`). */
  exponential(rate: number): number;
}

/**
 * Mixes a root seed with any number of labels into a new 32-bit seed, so that independent streams
 * (per round, per level, per request) never overlap and adding one does not shift the others.
 */
export function deriveSeed(seed: number, ...parts: readonly (number | string)[]): number {
  let h = mix32(seed >>> 0);
  for (const part of parts) {
    const text = String(part);
    for (let i = 0; i < text.length; i++) h = mix32(h ^ text.charCodeAt(i));
    // A separator so ("ab", "c") and ("a", "bc") differ.
    h = mix32(h ^ 0x9e3779b9);
  }
  return h;
}

/** xoshiro128** seeded through splitmix32: fast, 128-bit state, good statistical quality. */
export function createRng(seed: number): Rng {
  let x = seed >>> 0;
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    return mix32(x);
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => nextU32() / 0x1_0000_0000;
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    // 1 - u lies in (0, 1], so the logarithm is finite.
    exponential: (rate) => -Math.log(1 - next()) / rate
  };
}

function rotl(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}

function mix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
