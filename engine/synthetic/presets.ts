/**
 * Named shapes of synthetic llama-architecture models. A preset fixes the tensor shapes and the
 * weight type; the seed (given separately) fixes the weights. `small` has the shape of a
 * ~135M-parameter model (SmolLM-135M's dimensions) so per-token costs are realistic.
 */

export type WeightType = "f16" | "q8_0";

export interface SyntheticPreset {
  readonly name: string;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly ffnSize: number;
  readonly contextLength: number;
  readonly weightType: WeightType;
}

export const SYNTHETIC_PRESETS: Readonly<Record<string, SyntheticPreset>> = {
  tiny: {name: "tiny", hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 2, ffnSize: 384, contextLength: 8192, weightType: "q8_0"},
  small: {name: "small", hiddenSize: 576, numLayers: 30, numHeads: 9, numKvHeads: 3, ffnSize: 1536, contextLength: 8192, weightType: "q8_0"}
};

/** The preset of that name, or a clear error listing the known ones. */
export function getSyntheticPreset(name: string): SyntheticPreset {
  const preset = SYNTHETIC_PRESETS[name];
  if (!preset) throw new Error(`unknown synthetic preset "${name}" (known: ${Object.keys(SYNTHETIC_PRESETS).join(", ")})`);
  return preset;
}
