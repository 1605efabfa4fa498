/**
 * A minimal GGUF (version 3) file writer: metadata key/values, tensor infos, aligned tensor data.
 * It owns the byte layout only; what the metadata and tensors mean (an architecture, a vocabulary)
 * is decided by the caller. Tensor data is streamed to the file one tensor at a time so a 150 MB
 * model never sits in memory whole.
 *
 *   "GGUF" | u32 version | u64 nTensors | u64 nKv | kv... | tensorInfo... | pad | data (each aligned)
 */
import {closeSync, openSync, writeSync} from "node:fs";

/** GGUF metadata value types (gguf.h `gguf_type`). */
const enum GgufValueType {
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9
}

/** GGML tensor types this writer can emit. */
export const GgmlType = {F32: 0, F16: 1, Q4_0: 2, Q8_0: 8} as const;
export type GgmlTypeId = (typeof GgmlType)[keyof typeof GgmlType];

/** A typed metadata value; arrays are homogeneous, as GGUF requires. */
export type GgufValue =
  | {readonly type: "u32"; readonly value: number}
  | {readonly type: "i32"; readonly value: number}
  | {readonly type: "f32"; readonly value: number}
  | {readonly type: "bool"; readonly value: boolean}
  | {readonly type: "string"; readonly value: string}
  | {readonly type: "string[]"; readonly value: readonly string[]}
  | {readonly type: "i32[]"; readonly value: readonly number[]};

/** A tensor to write: `dims` in GGML order (fastest-varying first), data produced on demand. */
export interface GgufTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: GgmlTypeId;
  readonly byteLength: number;
  readonly writeData: (write: (bytes: Uint8Array) => void) => void;
}

const ALIGNMENT = 32;

/** The quantised types, stored in blocks of `QUANT_BLOCK_ELEMENTS` elements. */
export type QuantTypeId = typeof GgmlType.Q4_0 | typeof GgmlType.Q8_0;
export const QUANT_BLOCK_ELEMENTS = 32;
/** Bytes per block: an f16 scale, then 32 packed 4-bit quants (Q4_0) or 32 int8 ones (Q8_0). */
export const QUANT_BLOCK_BYTES: Readonly<Record<QuantTypeId, number>> = {[GgmlType.Q4_0]: 18, [GgmlType.Q8_0]: 34};

/** Bytes one tensor of `numElements` takes in the given type. */
export function tensorByteLength(type: GgmlTypeId, numElements: number): number {
  if (type === GgmlType.F32) return numElements * 4;
  if (type === GgmlType.F16) return numElements * 2;
  if (numElements % QUANT_BLOCK_ELEMENTS !== 0) throw new Error(`quantised tensors need a multiple of 32 elements, got ${numElements}`);
  return (numElements / QUANT_BLOCK_ELEMENTS) * QUANT_BLOCK_BYTES[type];
}

class ByteSink {
  private readonly chunks: Buffer[] = [];
  length = 0;
  push(bytes: Buffer): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.push(b);
  }
  i32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    this.push(b);
  }
  u64(value: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.push(b);
  }
  f32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.push(b);
  }
  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  switch (value.type) {
    case "u32": sink.u32(GgufValueType.Uint32); sink.u32(value.value); break;
    case "i32": sink.u32(GgufValueType.Int32); sink.i32(value.value); break;
    case "f32": sink.u32(GgufValueType.Float32); sink.f32(value.value); break;
    case "bool": sink.u32(GgufValueType.Bool); sink.push(Buffer.from([value.value ? 1 : 0])); break;
    case "string": sink.u32(GgufValueType.String); sink.string(value.value); break;
    case "string[]":
      sink.u32(GgufValueType.Array); sink.u32(GgufValueType.String); sink.u64(value.value.length);
      for (const item of value.value) sink.string(item);
      break;
    case "i32[]":
      sink.u32(GgufValueType.Array); sink.u32(GgufValueType.Int32); sink.u64(value.value.length);
      for (const item of value.value) sink.i32(item);
      break;
  }
}

const alignUp = (offset: number): number => Math.ceil(offset / ALIGNMENT) * ALIGNMENT;

/** Writes a complete GGUF file; returns its size in bytes. */
export function writeGguf(path: string, metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[]): number {
  const header = new ByteSink();
  header.push(Buffer.from("GGUF", "ascii"));
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.size);
  for (const [key, value] of metadata) {
    header.string(key);
    writeValue(header, value);
  }
  let dataOffset = 0;
  for (const tensor of tensors) {
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(dim);
    header.u32(tensor.type);
    header.u64(dataOffset);
    dataOffset = alignUp(dataOffset + tensor.byteLength);
  }
  const fd = openSync(path, "w");
  try {
    let position = 0;
    const write = (bytes: Uint8Array): void => {
      writeSync(fd, bytes);
      position += bytes.length;
    };
    const pad = (): void => {
      const padding = alignUp(position) - position;
      if (padding > 0) write(new Uint8Array(padding));
    };
    write(header.toBuffer());
    pad();
    const dataStart = position;
    for (const tensor of tensors) {
      const before = position;
      tensor.writeData(write);
      if (position - before !== tensor.byteLength)
        throw new Error(`tensor ${tensor.name} wrote ${position - before} bytes, declared ${tensor.byteLength}`);
      if (tensor !== tensors[tensors.length - 1]) pad();
    }
    return dataStart + (position - dataStart);
  } finally {
    closeSync(fd);
  }
}
