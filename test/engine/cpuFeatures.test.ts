/**
 * The start-up log names the llama.cpp CPU backend variant by its enabled features, parsed from
 * llama.cpp's system info string; other backends' sections and disabled features are left out.
 */
import {describe, expect, it} from "vitest";
import {cpuFeaturesOf} from "../../engine/model/loadLlamaRuntime.ts";

describe("cpuFeaturesOf", () => {
  it("lists the CPU section's enabled features in order", () => {
    const info = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | AMX_INT8 = 1 | LLAMAFILE = 1 | ";
    expect(cpuFeaturesOf(info)).toEqual(["SSE3", "SSSE3", "AVX", "AVX2", "AMX_INT8", "LLAMAFILE"]);
  });

  it("ignores other backends' sections before and after it", () => {
    const info = "CUDA : ARCHS = 890 | USE_GRAPHS = 1 | CPU : NEON = 1 | ARM_FMA = 1 | Metal : EMBED_LIBRARY = 1 | ";
    expect(cpuFeaturesOf(info)).toEqual(["NEON", "ARM_FMA"]);
  });

  it("returns nothing without a CPU section", () => {
    expect(cpuFeaturesOf("")).toEqual([]);
    expect(cpuFeaturesOf("CUDA : USE_GRAPHS = 1 |")).toEqual([]);
  });
});
