/**
 * Raw log-probabilities at a position a sequence just decoded, read without touching the request's
 * own sampler: two probe samplers per sequence look at the same logits. `top` (top-k of the largest
 * count asked for, nothing else) returns the highest logits already sorted by the top-k's partial
 * sort; `norm` (greedy, no truncation) returns one token's logit and the sum of exp(logit - max)
 * over the whole vocabulary, without sorting it. Then logprob(t) = logit(t) - max - ln(sum): the
 * model's own distribution, before temperature, penalties and grammars, as vLLM and llama-server
 * report by default. Each probe is a native sampling call (a copy of the vocabulary's logits), paid
 * only by requests that ask. Owns the probe samplers; a sequence's probes run one at a time, as its
 * positions are sampled.
 */
import type {LlamaContext, LlamaContextSequence} from "node-llama-cpp";
import {MAX_TOP_LOGPROBS, type PositionLogprobs, type ScoredToken} from "../types.ts";

interface NativeSampler {
  applyConfig(config: object): void;
  dispose(): void;
}

/** `[tokens to report, highest, lowest, selected, top count]`: node-llama-cpp's logit filter. */
type LogitFilter = [number[], boolean, boolean, boolean, number];

type SampleToken = (batchLogitIndex: number, sampler: NativeSampler, probabilities: boolean, confidence: boolean,
  logits: LogitFilter, totalLogitWeight: boolean) => Promise<[number, unknown, unknown, number[] | undefined, number | undefined]>;

interface Probes {
  readonly top: NativeSampler;
  readonly norm: NativeSampler;
}

/** Raw log-probabilities never reach -Infinity in JSON: OpenAI reports this floor instead. */
const MIN_LOGPROB = -9999;

function pairs(flat: readonly number[] | undefined): ScoredToken[] {
  const result: ScoredToken[] = [];
  if (!flat) return result;
  for (let index = 0; index + 1 < flat.length; index += 2) result.push({token: flat[index]!, logprob: flat[index + 1]!});
  return result;
}

export class LogprobProbes {
  private readonly probes: Array<Probes | undefined>;
  private readonly sampleToken: SampleToken;
  private readonly createSampler: () => NativeSampler;

  constructor(context: LlamaContext, private readonly sequences: readonly LlamaContextSequence[]) {
    const internals = context as unknown as {
      _llama: {_bindings: {AddonSampler: new (model: unknown) => NativeSampler}};
      _ctx: {sampleToken: SampleToken};
    };
    const nativeModel = (context.model as unknown as {_model: unknown})._model;
    this.createSampler = () => new internals._llama._bindings.AddonSampler(nativeModel);
    this.sampleToken = (...args) => internals._ctx.sampleToken(...args);
    this.probes = sequences.map(() => undefined);
  }

  /** `token`'s raw log-probability at the position of `batchLogitIndex`, and the `numTop` most likely tokens there. */
  async score(sequenceIndex: number, batchLogitIndex: number, token: number, numTop: number): Promise<PositionLogprobs> {
    const {top, norm} = this.probesOf(sequenceIndex);
    const [, , , highest] = await this.sampleToken(batchLogitIndex, top, false, false, [[], false, false, false, MAX_TOP_LOGPROBS], false);
    const [, , , own, totalWeight] = await this.sampleToken(batchLogitIndex, norm, false, false, [[token], false, false, false, 0], true);
    const best = pairs(highest);
    const maxLogit = best[0]?.logprob ?? 0;
    const logNormalizer = maxLogit + Math.log(totalWeight ?? 1);
    const toLogprob = (logit: number): number => Math.max(MIN_LOGPROB, logit - logNormalizer);
    const ownLogit = pairs(own).find((entry) => entry.token === token)?.logprob ?? -Infinity;
    return {
      token,
      logprob: toLogprob(ownLogit),
      top: best.slice(0, numTop).map((entry) => ({token: entry.token, logprob: toLogprob(entry.logprob)}))
    };
  }

  private probesOf(sequenceIndex: number): Probes {
    let probes = this.probes[sequenceIndex];
    if (probes === undefined) {
      const sequence = this.sequences[sequenceIndex] as unknown as {_resolveSamplerConfig(options: object): object};
      const top = this.createSampler();
      const norm = this.createSampler();
      // A top-k alone (temperature 1 divides by one): its partial sort leaves the highest logits in order.
      top.applyConfig(sequence._resolveSamplerConfig({temperature: 1, topK: MAX_TOP_LOGPROBS, topP: 1, minP: 0, seed: 0}));
      // Greedy keeps every candidate and sorts nothing, so the weight covers the whole vocabulary.
      norm.applyConfig(sequence._resolveSamplerConfig({temperature: 0, topK: 0, topP: 1, minP: 0, seed: 0}));
      probes = {top, norm};
      this.probes[sequenceIndex] = probes;
    }
    return probes;
  }

  dispose(): void {
    for (const probes of this.probes) {
      probes?.top.dispose();
      probes?.norm.dispose();
    }
  }
}
