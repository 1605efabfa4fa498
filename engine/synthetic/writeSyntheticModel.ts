/**
 * Writes a synthetic llama-architecture GGUF: shapes and knobs from a preset, random weights from a
 * seed, a real gpt2 byte-level BPE vocabulary and a ChatML chat template. Random weights produce
 * gibberish but exercise every real code path at a realistic cost per token. Each tensor draws from its
 * own stream keyed by (seed, tensor name), so a draft preset's layers are its target's, byte for byte.
 * Owns the tensor list and the metadata; byte layout is `ggufWriter.ts`'s, vocabulary `gpt2Vocab.ts`'s,
 * measuring what the knobs do `measureSynthetic.ts`'s.
 */
import {renameSync} from "node:fs";
import {SYNTHETIC_CHAT_TEMPLATE} from "./chatTemplate.ts";
import {buildGpt2Vocabulary} from "./gpt2Vocab.ts";
import {GgmlType, type GgufTensor, type GgufValue, QUANT_BLOCK_BYTES, QUANT_BLOCK_ELEMENTS, type QuantTypeId, tensorByteLength, writeGguf} from "./ggufWriter.ts";
import type {SyntheticPreset, WeightType} from "./presets.ts";
import {Prng, toHalfBits} from "./prng.ts";

/** Bumped whenever the bytes written for a (preset, seed) change, so caches regenerate. */
export const SYNTHETIC_WRITER_VERSION = 3;

/**
 * How random bytes become each quantised type's quants: their standard deviation before scaling, and
 * the change to each quant byte, if any, that makes their values symmetric around 0.
 *   Q8_0: uniform int8 in [-128, 127], already symmetric enough.
 *   Q4_0: a nibble q stands for q - 8; a nibble of 0 (-8, which has no +8) is written as 8, so values
 *   run -7..7 with 0 twice as likely: symmetric, mean 0, standard deviation sqrt(280 / 16).
 */
const QUANTS: Readonly<Record<QuantTypeId, {readonly quantStd: number; readonly toSymmetric?: (byte: number) => number}>> = {
  [GgmlType.Q8_0]: {quantStd: 73.9},
  [GgmlType.Q4_0]: {
    quantStd: Math.sqrt(280 / 16),
    toSymmetric: (byte) => ((byte & 0x0f) === 0 ? 8 : byte & 0x0f) | ((byte & 0xf0) === 0 ? 0x80 : byte & 0xf0)
  }
};

/** The tensor type of each weight type; the norms are F32 whatever it is. */
type WeightTypeId = typeof GgmlType.F16 | QuantTypeId;
const GGML_TYPE_OF: Readonly<Record<WeightType, WeightTypeId>> = {f16: GgmlType.F16, q8_0: GgmlType.Q8_0, q4_0: GgmlType.Q4_0};
/** GGUF's general.file_type: llama.cpp's LLAMA_FTYPE_MOSTLY_* of each weight type. */
const FILE_TYPE_OF: Readonly<Record<WeightType, number>> = {f16: 1, q8_0: 7, q4_0: 2};
/** Elements generated per write, to bound memory while streaming large tensors. */
const CHUNK_ELEMENTS = 32 * 32768;

export interface SyntheticModelOptions {
  readonly preset: SyntheticPreset;
  readonly seed: number;
}

function randomTensor(name: string, dims: readonly number[], type: WeightTypeId, std: number, seed: number): GgufTensor {
  const numElements = dims.reduce((a, b) => a * b, 1);
  return {
    name,
    dims,
    type,
    byteLength: tensorByteLength(type, numElements),
    writeData: (write) => {
      const prng = Prng.forKey(seed, name);
      for (let done = 0; done < numElements; done += CHUNK_ELEMENTS) {
        const count = Math.min(CHUNK_ELEMENTS, numElements - done);
        write(type === GgmlType.F16 ? randomHalfs(count, std, prng) : randomQuantBlocks(type, count, std, prng));
      }
    }
  };
}

/** Quantised blocks: an f16 scale then the quants; random quants times a fixed scale give the wanted spread. */
function randomQuantBlocks(type: QuantTypeId, numElements: number, std: number, prng: Prng): Uint8Array {
  const blockBytes = QUANT_BLOCK_BYTES[type];
  const {quantStd, toSymmetric} = QUANTS[type];
  const bytes = new Uint8Array((numElements / QUANT_BLOCK_ELEMENTS) * blockBytes);
  prng.fillBytes(bytes);
  const scaleBits = toHalfBits(std / quantStd);
  for (let start = 0; start < bytes.length; start += blockBytes) {
    bytes[start] = scaleBits & 0xff;
    bytes[start + 1] = scaleBits >>> 8;
    if (toSymmetric !== undefined) for (let i = start + 2; i < start + blockBytes; i++) bytes[i] = toSymmetric(bytes[i]!);
  }
  return bytes;
}

function randomHalfs(numElements: number, std: number, prng: Prng): Uint8Array {
  const halfs = new Uint16Array(numElements);
  const range = std * Math.sqrt(3);
  for (let i = 0; i < numElements; i++) halfs[i] = toHalfBits((prng.nextFloat() * 2 - 1) * range);
  return new Uint8Array(halfs.buffer);
}

function constantF32(name: string, length: number, value: number): GgufTensor {
  return {
    name,
    dims: [length],
    type: GgmlType.F32,
    byteLength: length * 4,
    writeData: (write) => write(new Uint8Array(new Float32Array(length).fill(value).buffer))
  };
}

function buildTensors(preset: SyntheticPreset, numVocab: number, seed: number): GgufTensor[] {
  const type = GGML_TYPE_OF[preset.weightType];
  const {hiddenSize: hidden, ffnSize: ffn} = preset;
  const kvSize = (hidden / preset.numHeads) * preset.numKvHeads;
  const inStd = 1 / Math.sqrt(hidden);
  // GPT-2's residual scaling keeps the residual stream's spread flat across many layers.
  const outStd = inStd / Math.sqrt(2 * preset.residualDepth);
  const random = (name: string, dims: readonly number[], std: number): GgufTensor => randomTensor(name, dims, type, std, seed);
  const tensors: GgufTensor[] = [random("token_embd.weight", [hidden, numVocab], 0.02)];
  for (let layer = 0; layer < preset.numLayers; layer++) {
    const blk = `blk.${layer}`;
    // Only the projections that write into the residual stream are scaled: a later layer still reads
    // a normalised stream at full strength, and its whole contribution shrinks linearly with the knob.
    const residualStd = outStd * (layer < preset.leadingLayers ? 1 : preset.laterLayerScale);
    tensors.push(
      constantF32(`${blk}.attn_norm.weight`, hidden, 1),
      random(`${blk}.attn_q.weight`, [hidden, hidden], inStd),
      random(`${blk}.attn_k.weight`, [hidden, kvSize], inStd),
      random(`${blk}.attn_v.weight`, [hidden, kvSize], inStd),
      random(`${blk}.attn_output.weight`, [hidden, hidden], residualStd * (preset.attentionScale ?? 1)),
      constantF32(`${blk}.ffn_norm.weight`, hidden, 1),
      random(`${blk}.ffn_gate.weight`, [hidden, ffn], inStd),
      random(`${blk}.ffn_up.weight`, [hidden, ffn], inStd),
      random(`${blk}.ffn_down.weight`, [ffn, hidden], residualStd * Math.sqrt(hidden / ffn))
    );
  }
  // An output head of its own, though SmolLM ties it to token_embd: a random tied head favours the
  // input token (its own embedding is in the stream), and greedy runs then repeat one token forever.
  // Unit-spread rows make logitScale the logits' standard deviation whatever the hidden size.
  tensors.push(
    constantF32("output_norm.weight", hidden, preset.logitScale),
    random("output.weight", [hidden, numVocab], inStd)
  );
  return tensors;
}

function buildMetadata(preset: SyntheticPreset, seed: number): Map<string, GgufValue> {
  const vocab = buildGpt2Vocabulary();
  const u32 = (value: number): GgufValue => ({type: "u32", value});
  return new Map<string, GgufValue>([
    ["general.architecture", {type: "string", value: "llama"}],
    ["general.name", {type: "string", value: `inflight-synthetic-${preset.name}-seed${seed}`}],
    ["general.file_type", u32(FILE_TYPE_OF[preset.weightType])],
    ["general.quantization_version", u32(2)],
    ["general.alignment", u32(32)],
    ["llama.context_length", u32(preset.contextLength)],
    ["llama.embedding_length", u32(preset.hiddenSize)],
    ["llama.block_count", u32(preset.numLayers)],
    ["llama.feed_forward_length", u32(preset.ffnSize)],
    ["llama.rope.dimension_count", u32(preset.hiddenSize / preset.numHeads)],
    ["llama.attention.head_count", u32(preset.numHeads)],
    ["llama.attention.head_count_kv", u32(preset.numKvHeads)],
    ["llama.attention.layer_norm_rms_epsilon", {type: "f32", value: 1e-5}],
    ["llama.rope.freq_base", {type: "f32", value: 10000}],
    ["llama.vocab_size", u32(vocab.tokens.length)],
    ["tokenizer.ggml.model", {type: "string", value: "gpt2"}],
    ["tokenizer.ggml.pre", {type: "string", value: "gpt-2"}],
    ["tokenizer.ggml.tokens", {type: "string[]", value: vocab.tokens}],
    ["tokenizer.ggml.token_type", {type: "i32[]", value: vocab.tokenTypes}],
    ["tokenizer.ggml.merges", {type: "string[]", value: vocab.merges}],
    ["tokenizer.ggml.bos_token_id", u32(vocab.endOfTextId)],
    ["tokenizer.ggml.eos_token_id", u32(vocab.imEndId)],
    ["tokenizer.ggml.padding_token_id", u32(vocab.endOfTextId)],
    ["tokenizer.ggml.add_bos_token", {type: "bool", value: false}],
    ["tokenizer.chat_template", {type: "string", value: SYNTHETIC_CHAT_TEMPLATE}]
  ]);
}

/** Writes the model to `path` (through a temporary file, so readers never see half a model). */
export function writeSyntheticModel(path: string, {preset, seed}: SyntheticModelOptions): number {
  if (preset.hiddenSize % preset.numHeads !== 0) throw new Error(`${preset.name}: hidden size must divide by heads`);
  const metadata = buildMetadata(preset, seed);
  const numVocab = buildGpt2Vocabulary().tokens.length;
  const temporaryPath = `${path}.${process.pid}.tmp`;
  const size = writeGguf(temporaryPath, metadata, buildTensors(preset, numVocab, seed));
  renameSync(temporaryPath, path);
  return size;
}
