/**
 * The exact bytes of each token's text, from the GGUF vocabulary. node-llama-cpp detokenizes into
 * JavaScript strings, so a token that holds part of a UTF-8 character (byte-level vocabularies split
 * emoji and CJK characters across tokens) comes back as U+FFFD; with the bytes, text can be decoded
 * as a stream that never breaks a character, and log-probability `bytes` are exact. Knows the two
 * vocabulary families that GGUF files use: GPT-2's byte-level BPE ("gpt2") and SentencePiece
 * ("llama", with `<0xNN>` byte tokens). Other families get null, and text falls back to strings.
 */
import type {LlamaModel} from "node-llama-cpp";

/** llama.cpp's token types (`tokenizer.ggml.token_type`). */
const TOKEN_TYPE = {control: 3, userDefined: 4, unused: 5, byte: 6} as const;

export interface TokenBytes {
  /** Bytes the token adds to the output text: empty for control tokens, which are not text. */
  bytesOf(token: number): Uint8Array;
}

/** GPT-2's map from printable unicode characters back to the bytes they stand for. */
function unicodeToByteTable(): Map<number, number> {
  const table = new Map<number, number>();
  let extra = 0;
  for (let byte = 0; byte < 256; byte++) {
    const isPrintable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
    table.set(isPrintable ? byte : 256 + extra++, byte);
  }
  return table;
}

const ENCODER = new TextEncoder();
const EMPTY = new Uint8Array(0);

function gpt2Bytes(text: string, table: Map<number, number>): Uint8Array {
  const bytes: number[] = [];
  for (const char of text) {
    const byte = table.get(char.codePointAt(0)!);
    // A character outside the map is not byte-level text: take its UTF-8 as llama.cpp does.
    if (byte === undefined) bytes.push(...ENCODER.encode(char));
    else bytes.push(byte);
  }
  return Uint8Array.from(bytes);
}

function sentencePieceBytes(text: string, type: number): Uint8Array {
  if (type === TOKEN_TYPE.byte) {
    const match = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
    if (match) return Uint8Array.of(Number.parseInt(match[1]!, 16));
  }
  return ENCODER.encode(text.replaceAll("\u2581", " "));
}

/** The bytes of every token of `model`'s vocabulary, or null for a vocabulary family it does not know. */
export function tokenBytesOf(model: LlamaModel): TokenBytes | null {
  const ggml = model.fileInfo.metadata.tokenizer?.ggml as {model?: string; tokens?: readonly string[]; token_type?: readonly number[]} | undefined;
  const tokens = ggml?.tokens;
  const types = ggml?.token_type;
  if (tokens === undefined || types === undefined || (ggml?.model !== "gpt2" && ggml?.model !== "llama")) return null;
  const table = unicodeToByteTable();
  const bytes = tokens.map((text, token) => {
    const type = types[token] ?? 1;
    if (type === TOKEN_TYPE.control || type === TOKEN_TYPE.unused) return EMPTY;
    if (type === TOKEN_TYPE.userDefined) return ENCODER.encode(text);
    return ggml.model === "gpt2" ? gpt2Bytes(text, table) : sentencePieceBytes(text, type);
  });
  return {bytesOf: (token) => bytes[token] ?? EMPTY};
}
