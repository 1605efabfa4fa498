/**
 * The per-request seeding the datasets share. Request i draws its content from a random stream of
 * its own, derived from the round's seed and i, so a longer run starts with the same requests as a
 * shorter one; and it carries a sampling seed from another stream, so what a server samples for it
 * is reproducible too. What a request holds is each dataset's own business.
 */
import {createRng, deriveSeed, type Rng} from "../random.ts";
import type {RequestSpec} from "../types.ts";

/** The `seed` field of a request: 31 bits, as every server accepts, derived from `seed` and the request's indices. */
export function samplingSeed(seed: number, ...indices: readonly number[]): number {
  return deriveSeed(seed, "sampling", ...indices) & 0x7fff_ffff;
}

/**
 * `count` requests, request i built by `build` from the stream (`seed`, `stream`, i) and given its
 * sampling seed.
 */
export function buildIndexedSpecs(
  count: number,
  seed: number,
  stream: string,
  build: (index: number, rng: Rng) => Omit<RequestSpec, "seed">
): RequestSpec[] {
  return Array.from({length: count}, (_, index) => ({
    ...build(index, createRng(deriveSeed(seed, stream, index))),
    seed: samplingSeed(seed, index)
  }));
}
