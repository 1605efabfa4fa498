/**
 * Builds a byte-level BPE vocabulary for GGUF from tiktoken's bundled `gpt2` ranks: token strings in
 * GPT-2's byte-to-unicode form, merges recovered from the ranks, token types, and the special tokens a
 * ChatML template needs. It owns the vocabulary only; the GGUF layout is `ggufWriter.ts`'s.
 */
import {createRequire} from "node:module";

/** GGUF `tokenizer.ggml.token_type` values (llama.cpp `llama_token_type`). */
const TOKEN_TYPE_NORMAL = 1;
const TOKEN_TYPE_CONTROL = 3;

/** Special tokens appended after gpt2's own `<|endoftext|>` (id 50256), ChatML style. */
export const CHATML_SPECIAL_TOKENS = ["<|im_start|>", "<|im_end|>"] as const;

export interface Gpt2Vocabulary {
  readonly tokens: readonly string[];
  readonly tokenTypes: readonly number[];
  readonly merges: readonly string[];
  readonly endOfTextId: number;
  readonly imStartId: number;
  readonly imEndId: number;
}

interface TiktokenEncoderFile {
  readonly bpe_ranks: string;
  readonly special_tokens: Record<string, number>;
}

/** GPT-2's reversible map from bytes to printable unicode characters, as its tokenizer.json uses. */
function byteToUnicodeTable(): string[] {
  const printable: number[] = [];
  const add = (from: number, to: number): void => {
    for (let c = from; c <= to; c++) printable.push(c);
  };
  add(0x21, 0x7e);
  add(0xa1, 0xac);
  add(0xae, 0xff);
  const table = new Array<string>(256);
  let extra = 0;
  for (let byte = 0; byte < 256; byte++) {
    table[byte] = printable.includes(byte) ? String.fromCodePoint(byte) : String.fromCodePoint(256 + extra++);
  }
  return table;
}

/** tiktoken's "lite" rank format: "! <firstRank> <base64 token> <base64 token> ..." */
function loadRanks(): Buffer[] {
  const require = createRequire(import.meta.url);
  const encoder = require("tiktoken/encoders/gpt2.json") as TiktokenEncoderFile;
  const fields = encoder.bpe_ranks.split(" ");
  const firstRank = Number(fields[1]);
  if (firstRank !== 0) throw new Error(`unexpected gpt2 rank offset ${firstRank}`);
  return fields.slice(2).map((field) => Buffer.from(field, "base64"));
}

/**
 * Recovers the merge that produced each multi-byte token: run BPE on the token's bytes using only
 * ranks below its own; exactly two parts must remain, and they are the merge's pair.
 */
function recoverMerges(ranked: readonly Buffer[], rankOf: ReadonlyMap<string, number>): [Buffer, Buffer][] {
  const merges: [Buffer, Buffer][] = [];
  ranked.forEach((token, rank) => {
    if (token.length < 2) return;
    let parts: Buffer[] = [...token].map((byte) => Buffer.from([byte]));
    for (;;) {
      let bestIndex = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const pairRank = rankOf.get(Buffer.concat([parts[i]!, parts[i + 1]!]).toString("latin1"));
        if (pairRank !== undefined && pairRank < bestRank) {
          bestRank = pairRank;
          bestIndex = i;
        }
      }
      if (bestIndex < 0 || bestRank >= rank) break;
      parts = [...parts.slice(0, bestIndex), Buffer.concat([parts[bestIndex]!, parts[bestIndex + 1]!]), ...parts.slice(bestIndex + 2)];
    }
    if (parts.length !== 2) throw new Error(`gpt2 rank ${rank} does not come from one merge`);
    merges.push([parts[0]!, parts[1]!]);
  });
  return merges;
}

let cached: Gpt2Vocabulary | undefined;

/** The vocabulary; computed once per process (about half a second). */
export function buildGpt2Vocabulary(): Gpt2Vocabulary {
  if (cached) return cached;
  const ranked = loadRanks();
  const table = byteToUnicodeTable();
  const toUnicode = (bytes: Buffer): string => [...bytes].map((byte) => table[byte]).join("");
  const rankOf = new Map(ranked.map((token, rank) => [token.toString("latin1"), rank]));
  const merges = recoverMerges(ranked, rankOf).map(([left, right]) => `${toUnicode(left)} ${toUnicode(right)}`);
  const specials = ["<|endoftext|>", ...CHATML_SPECIAL_TOKENS];
  const tokens = [...ranked.map(toUnicode), ...specials];
  const tokenTypes = tokens.map((_, id) => (id < ranked.length ? TOKEN_TYPE_NORMAL : TOKEN_TYPE_CONTROL));
  cached = {
    tokens,
    tokenTypes,
    merges,
    endOfTextId: ranked.length,
    imStartId: ranked.length + 1,
    imEndId: ranked.length + 2
  };
  return cached;
}
