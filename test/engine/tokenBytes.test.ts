/**
 * Token bytes from the GGUF vocabulary (the tiny synthetic model's GPT-2 byte-level BPE): every token
 * that node-llama-cpp detokenizes into whole characters has exactly those characters' bytes, control
 * tokens have none, and the byte detokenizer streams text that never breaks a character, also when
 * every token boundary falls inside a character.
 */
import {getLlama, type Llama, LlamaLogLevel, type LlamaModel, type Token} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import {type TokenBytes, tokenBytesOf} from "../../engine/model/tokenBytes.ts";
import {ByteDetokenizer} from "../../engine/text/ByteDetokenizer.ts";

let llama: Llama;
let model: LlamaModel;
let bytes: TokenBytes;

beforeAll(async () => {
  llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
  model = await llama.loadModel({modelPath: resolveModelSource("synthetic:tiny").path});
  bytes = tokenBytesOf(model)!;
});

afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
});

const decoder = new TextDecoder("utf-8");

/** The single-byte token of `byte`: byte-level BPE has one for every byte. */
function byteToken(byte: number): number {
  const text = decoder.decode(Uint8Array.of(byte));
  const candidates = model.tokenize(text, false);
  for (let token = 0; token < 50_257; token++) if (bytes.bytesOf(token).length === 1 && bytes.bytesOf(token)[0] === byte) return token;
  throw new Error(`no token for byte ${byte} (${candidates.length})`);
}

/**
 * llama.cpp's detokenizer cleans spaces the way Hugging Face's `clean_up_tokenization_spaces` does
 * (" ." -> "."); a token's own bytes, which llama-server streams too, keep them.
 */
function cleanUpSpaces(text: string): string {
  return text.replace(/ ([.?!,]|'(?:s|m|ve|re|ll|d)?\b|n't\b)/g, "$1");
}

describe("token bytes", () => {
  it("are the bytes of what node-llama-cpp detokenizes, for every token it detokenizes whole", () => {
    let numChecked = 0;
    for (let token = 0; token < 50_257; token++) {
      const text = model.detokenize([token as Token], false);
      if (text.includes("\uFFFD")) continue;
      const decoded = decoder.decode(bytes.bytesOf(token));
      expect(decoded === text || cleanUpSpaces(decoded) === text, `token ${token}: ${JSON.stringify(decoded)} vs ${JSON.stringify(text)}`).toBe(true);
      numChecked++;
    }
    expect(numChecked).toBeGreaterThan(40_000);
  });

  it("give control tokens no text", () => {
    for (const special of ["<|im_start|>", "<|im_end|>"]) {
      const [token] = model.tokenize(special, true);
      expect(bytes.bytesOf(token!)).toHaveLength(0);
    }
  });

  it("stream characters split over many tokens whole", () => {
    // "日本語", each byte its own token, then the same again with the tokens regrouped: every token
    // boundary falls inside a character, so no prefix of tokens ends on a whole character.
    const text = "日本語 ok";
    const tokens = [...new TextEncoder().encode(text)].map(byteToken);
    const streamed = new ByteDetokenizer(bytes.bytesOf);
    const pieces = tokens.map((token) => streamed.push([token]));
    expect(pieces.join("") + streamed.flush()).toBe(text);
    expect(pieces.every((piece) => !piece.includes("\uFFFD"))).toBe(true);
  });
});
