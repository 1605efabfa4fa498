/**
 * Named shapes of synthetic llama-architecture models, and the knobs that make their random weights
 * behave like a trained model where serving cares: how peaked next-token distributions are, and how
 * often a small draft agrees with its target. A preset fixes shapes, weight type and knobs; the seed
 * (given separately) fixes the weights. `small` has the shape of a ~135M-parameter model (SmolLM-135M's
 * dimensions) so per-token costs are realistic. Writing the weights is `writeSyntheticModel.ts`'s job.
 */

export type WeightType = "f16" | "q8_0" | "q4_0";

export interface SyntheticPreset {
  readonly name: string;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly ffnSize: number;
  readonly contextLength: number;
  readonly weightType: WeightType;
  /**
   * Multiplies the final norm's weight: the standard deviation of the logits, in nats, since the output
   * head is scaled to give unit spread. At 1 the next-token distribution over 50k tokens is nearly flat;
   * trained models are far more sure of their next token.
   */
  readonly logitScale: number;
  /** Layers below this index write to the residual stream at full strength; a draft is exactly these. */
  readonly leadingLayers: number;
  /**
   * Multiplies what layers from `leadingLayers` on write to the residual stream (attn_output, ffn_down).
   * 0 makes the model compute what its draft computes; larger values make them disagree more often.
   */
  readonly laterLayerScale: number;
  /**
   * Multiplies what every layer's attention writes to the residual stream (attn_output). Below 1 the
   * next token depends mostly on the current one, so the model's own text, placed in a prompt, is
   * continued as it was: output that repeats spans of its prompt, as trained models do when they
   * quote, edit code or summarise. Absent means 1.
   */
  readonly attentionScale?: number;
  /**
   * The depth GPT-2's residual scaling divides by. A draft keeps its target's, so that its layers are
   * the target's layers byte for byte.
   */
  readonly residualDepth: number;
}

/**
 * The draft of a target: its leading layers only, everything else (vocabulary, embeddings, output
 * norm and head, those layers' weights) the same, so drafting costs a fraction of the target's compute.
 * It pairs with its target only under the same seed (`synthetic:small:7` with `synthetic:small-draft:7`).
 */
export function draftPresetOf(target: SyntheticPreset, name: string): SyntheticPreset {
  return {...target, name, numLayers: target.leadingLayers, laterLayerScale: 0};
}

// The knobs: logitScale sets how peaked next-token distributions are (trained models are peaked);
// laterLayerScale sets how far the target strays from its draft (greedy agreement falls as it rises).
// `npm run synthetic:measure` measures both; docs/synthetic-models.md has the figures.

const tiny: SyntheticPreset = {
  name: "tiny", hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 2, ffnSize: 384, contextLength: 8192, weightType: "q8_0",
  logitScale: 10, leadingLayers: 2, laterLayerScale: 0.08, residualDepth: 4
};

const small: SyntheticPreset = {
  name: "small", hiddenSize: 576, numLayers: 30, numHeads: 9, numKvHeads: 3, ffnSize: 1536, contextLength: 8192, weightType: "q8_0",
  logitScale: 10, leadingLayers: 3, laterLayerScale: 0.03, residualDepth: 30
};

// A target 10x dearer than its draft per token, as real pairs are (a 0.5B draft for a 7B target): the
// draft keeps the 50K-token output head, which costs as much as eight layers at this width, so the
// target needs many layers beside its one shared layer. Its weights are ~400M parameters.
const medium: SyntheticPreset = {
  name: "medium", hiddenSize: 576, numLayers: 96, numHeads: 9, numKvHeads: 3, ffnSize: 1536, contextLength: 8192, weightType: "q4_0",
  logitScale: 10, leadingLayers: 1, laterLayerScale: 0.01, residualDepth: 96
};

// The shape of a 1B-parameter model at the same width: its draft (one layer and the head) costs a
// twentieth of it, nearer the pairs people run on a CPU (a 0.5B draft for a 7B target).
const large: SyntheticPreset = {...medium, name: "large", numLayers: 256, residualDepth: 256, laterLayerScale: 0.007};

export const SYNTHETIC_PRESETS: Readonly<Record<string, SyntheticPreset>> = {
  tiny,
  "tiny-draft": draftPresetOf(tiny, "tiny-draft"),
  small,
  "small-draft": draftPresetOf(small, "small-draft"),
  medium,
  "medium-draft": draftPresetOf(medium, "medium-draft"),
  // medium's shape and cost, with attention that writes nothing: its next token follows from its
  // current one, so it repeats its own text when a prompt carries it (the n-gram lookup workload).
  "medium-echo": {...medium, name: "medium-echo", attentionScale: 0},
  large,
  "large-draft": draftPresetOf(large, "large-draft")
};

/** The preset of that name, or a clear error listing the known ones. */
export function getSyntheticPreset(name: string): SyntheticPreset {
  const preset = SYNTHETIC_PRESETS[name];
  if (!preset) throw new Error(`unknown synthetic preset "${name}" (known: ${Object.keys(SYNTHETIC_PRESETS).join(", ")})`);
  return preset;
}
