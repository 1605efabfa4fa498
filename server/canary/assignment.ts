/**
 * Which variant a request goes to, as pure functions of weights and a bucket. A key (a user id) is
 * hashed with a salt into one of 10,000 buckets; each routed variant owns a contiguous range of
 * buckets sized by its share of the weights. Owns that arithmetic only; the router keeps weights.
 *
 * The ranges are laid out so that a weight change moves as few users as possible, and only between
 * the variant whose weight changed and the primary (the first variant, normally the stable one):
 *
 *   bucket 0                                                                          9,999
 *   |-- canary A --|-- canary B --|---------------- primary: the remainder ---------------|
 *
 * Non-primary variants are stacked from bucket 0 in config order; the primary takes what is left.
 * Growing canary A from 5% to 10% extends its range into the buckets after it, so with one canary
 * only primary users move, and only into the canary; shrinking it moves its users back. With several
 * canaries, resizing one also shifts the ranges of those after it (config order), so keep the canary
 * that changes most first.
 */
import {createHash} from "node:crypto";

export const NUM_BUCKETS = 10_000;

/** A routed variant's weight; shadows and variants with weight 0 get no range. */
export interface WeightedVariant {
  readonly name: string;
  readonly weight: number;
}

export interface BucketRange {
  readonly name: string;
  /** First bucket, inclusive. */
  readonly start: number;
  /** Last bucket, exclusive. */
  readonly end: number;
}

/** sha256 of salt and key, its first 32 bits modulo the bucket count (bias below 1e-5). */
export function bucketOf(salt: string, key: string): number {
  const digest = createHash("sha256").update(salt).update("\0").update(key).digest();
  return digest.readUInt32BE(0) % NUM_BUCKETS;
}

/** The bucket ranges of `variants` (the first is the primary), by the layout described above. */
export function bucketRanges(variants: readonly WeightedVariant[]): BucketRange[] {
  const total = variants.reduce((sum, variant) => sum + Math.max(0, variant.weight), 0);
  if (variants.length === 0) return [];
  if (total === 0) return [{name: variants[0]!.name, start: 0, end: NUM_BUCKETS}];
  const ranges: BucketRange[] = [];
  let start = 0;
  for (const variant of variants.slice(1)) {
    const size = Math.round((Math.max(0, variant.weight) / total) * NUM_BUCKETS);
    const end = Math.min(NUM_BUCKETS, start + size);
    ranges.push({name: variant.name, start, end});
    start = end;
  }
  ranges.unshift({name: variants[0]!.name, start, end: NUM_BUCKETS});
  return ranges;
}

/** The variant owning a bucket; ranges cover every bucket, so there always is one. */
export function variantOfBucket(ranges: readonly BucketRange[], bucket: number): string {
  for (const range of ranges) if (bucket >= range.start && bucket < range.end) return range.name;
  return ranges[0]!.name;
}
