/**
 * A small seeded pseudo-random generator (xoshiro128**) and an IEEE half-float encoder, for
 * deterministic synthetic weights: the same seed gives the same bytes on every machine. It owns the
 * random bits only; which tensor draws which stream is the writer's business.
 */
import {createHash} from "node:crypto";

/** xoshiro128** seeded through splitmix32, so any integer seed gives a well-mixed state. */
export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * A stream of its own for each (seed, key): a tensor keyed by its name draws the same bits whatever
   * other tensors the file holds, so a draft's layers come out byte-identical to its target's.
   */
  static forKey(seed: number, key: string): Prng {
    const digest = createHash("sha256").update(`${seed >>> 0}\u0000${key}`).digest();
    const prng = new Prng(0);
    prng.s0 = digest.readUInt32LE(0);
    prng.s1 = digest.readUInt32LE(4);
    prng.s2 = digest.readUInt32LE(8);
    prng.s3 = digest.readUInt32LE(12) | 1; // never the all-zero state, xoshiro's one fixed point
    return prng;
  }

  constructor(seed: number) {
    let state = seed >>> 0;
    const splitmix = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Fills `bytes` with random bytes, four at a time. */
  fillBytes(bytes: Uint8Array): void {
    const whole = bytes.length >>> 2;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, whole);
    if (bytes.byteOffset % 4 !== 0) throw new Error("fillBytes needs a 4-byte aligned view");
    for (let i = 0; i < whole; i++) words[i] = this.nextUint32();
    for (let i = whole * 4; i < bytes.length; i++) bytes[i] = this.nextUint32() & 0xff;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Encodes a float as IEEE 754 binary16 bits (round to nearest; enough for weights and scales).
 * Subnormals matter: a deep model's Q8_0 block scales (std / 74) fall below half's normal range.
 */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent < -10) return sign; // below half's smallest subnormal
  if (exponent <= 0) {
    const shift = 14 - exponent;
    return sign | (((mantissa | 0x800000) + (1 << (shift - 1))) >>> shift);
  }
  if (exponent >= 31) return sign | 0x7c00;
  const rounded = (exponent << 10) | (mantissa >>> 13);
  return sign | (rounded + ((mantissa >>> 12) & 1));
}
