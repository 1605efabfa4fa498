/**
 * Filler text for synthetic prompts. Every word, with its leading space, is one token in each
 * tiktoken encoding the bench offers (a test checks this), so a prompt of N words is N tokens to the
 * bench's counter and close to N for most model tokenizers. Which words and how many is the
 * dataset's choice, not this file's.
 */
import type {Rng} from "../random.ts";

/** Common English words, each a single token in gpt2, r50k, p50k, cl100k and o200k. */
export const WORDS: readonly string[] = (
  "the of and to in is was for on that with as by at from his her it an are were which this be or " +
  "has had not but they their also first one new after who its two been more other when into during " +
  "all time may years over only most some would there up out about he she we can so year later made " +
  "such used many then where people world city state three while known well under between since them " +
  "both these area part before through against school than work being him us same any each like four " +
  "life day back own way still long great number high family end team game music film book water place " +
  "name home war power house group line side land case point law system form order set story play body " +
  "head river light sound company country program report course member field party price market class " +
  "station village season church money island center public night series general"
).split(" ");

/** `count` random words, joined by spaces. */
export function randomWords(rng: Rng, count: number): string {
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(WORDS[rng.int(0, WORDS.length - 1)] ?? "the");
  return words.join(" ");
}

/** A length drawn uniformly from `len * [1 - spread, 1 + spread]`, rounded, at least 1. */
export function spreadLength(rng: Rng, len: number, spread: number): number {
  if (spread === 0) return len;
  const low = Math.max(1, Math.round(len * (1 - spread)));
  const high = Math.max(low, Math.round(len * (1 + spread)));
  return rng.int(low, high);
}
