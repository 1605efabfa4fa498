/**
 * The synthetic GGUF writer: deterministic bytes, a file node-llama-cpp loads, and a tokenizer that
 * round-trips arbitrary UTF-8 and agrees with tiktoken's gpt2 on English text.
 */
import {createHash} from "node:crypto";
import {mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {getLlama, type Llama, LlamaLogLevel, type LlamaModel} from "node-llama-cpp";
import {get_encoding} from "tiktoken";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {ensureSyntheticModel} from "../../engine/synthetic/ensureSyntheticModel.ts";
import {getSyntheticPreset, SYNTHETIC_PRESETS} from "../../engine/synthetic/presets.ts";
import {writeSyntheticModel} from "../../engine/synthetic/writeSyntheticModel.ts";

const folder = mkdtempSync(join(tmpdir(), "inflight-synthetic-"));
const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

afterAll(() => rmSync(folder, {recursive: true, force: true}));

describe("writeSyntheticModel", () => {
  it("writes the same bytes for the same preset and seed, other bytes for another seed", () => {
    const preset = getSyntheticPreset("tiny");
    writeSyntheticModel(join(folder, "a.gguf"), {preset, seed: 7});
    writeSyntheticModel(join(folder, "b.gguf"), {preset, seed: 7});
    writeSyntheticModel(join(folder, "c.gguf"), {preset, seed: 8});
    expect(sha256(join(folder, "a.gguf"))).toBe(sha256(join(folder, "b.gguf")));
    expect(sha256(join(folder, "a.gguf"))).not.toBe(sha256(join(folder, "c.gguf")));
  });

  it("has tiny and small presets, small shaped like a 135M-parameter model", () => {
    expect(Object.keys(SYNTHETIC_PRESETS)).toEqual(expect.arrayContaining(["tiny", "small"]));
    expect(getSyntheticPreset("small")).toMatchObject({hiddenSize: 576, numLayers: 30, numHeads: 9, numKvHeads: 3, ffnSize: 1536});
    expect(() => getSyntheticPreset("huge")).toThrow(/unknown synthetic preset "huge"/);
  });
});

describe("the tiny synthetic model in node-llama-cpp", () => {
  let llama: Llama;
  let model: LlamaModel;

  beforeAll(async () => {
    llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
    model = await llama.loadModel({modelPath: ensureSyntheticModel("tiny").path});
  });

  afterAll(async () => {
    await model?.dispose();
    await llama?.dispose();
  });

  it("loads with the llama architecture, the gpt2 tokenizer and a chat template", () => {
    expect(model.fileInfo.metadata.general.architecture).toBe("llama");
    expect(model.fileInfo.metadata.tokenizer.ggml.model).toBe("gpt2");
    expect(model.fileInfo.metadata.tokenizer.chat_template).toContain("<|im_start|>");
    expect(model.tokens.eos).toBe(50258);
    expect(model.isEogToken(model.tokens.eos!)).toBe(true);
  });

  it.each([
    ["emoji", "Party time 🎉🎊👩‍👩‍👧 done"],
    ["Korean", "안녕하세요, 세계! 한국어 텍스트입니다."],
    ["code", "def f(x):\n\treturn {'a': x ** 2}  # comment\n\n\nconst y = `${x}`;"],
    ["mixed scripts", "naïve café — Ελληνικά, русский, 日本語, عربى\u0000\u007f"]
  ])("round-trips %s text through its tokenizer", (_name, text) => {
    expect(model.detokenize(model.tokenize(text))).toBe(text);
  });

  it("agrees with tiktoken's gpt2 token counts on English text", () => {
    const gpt2 = get_encoding("gpt2");
    const texts = [
      "The quick brown fox jumps over the lazy dog.",
      "In-flight batching lets many users share one model; each request joins the running batch at the next step.",
      "It's 2026, and we're serving 1,234 requests/s — aren't we?"
    ];
    for (const text of texts) {
      const ours = model.tokenize(text);
      const theirs = gpt2.encode(text);
      expect(ours.length).toBe(theirs.length);
      expect([...ours]).toEqual([...theirs]);
    }
    gpt2.free();
  });
});
