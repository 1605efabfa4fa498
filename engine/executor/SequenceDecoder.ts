/**
 * Feeds tokens into a context's sequences and samples the positions asked for, with one long-lived
 * native sampler per sequence. Owns those samplers; does not own the sequences or decide what runs.
 *
 * Why not `controlledEvaluate` alone: it creates a sampler for every call (a native chain plus a
 * zeroed candidate buffer of 12 bytes per vocabulary token, freed only when V8 collects it) and that
 * costs more than the decode itself on a small model (bench:parity compares the two paths).
 * node-llama-cpp 3.22.1 offers no public call that decodes chosen positions with a caller's sampler,
 * so the persistent path uses five of its internals, all checked at start-up: `AddonSampler` from
 * the bindings, `sequence._decodeTokens`, `sequence._resolveSamplerConfig`, `sequence._contextShift`
 * and `context._ctx.sampleToken`, the same calls controlledEvaluate makes. Where any is missing (a
 * different node-llama-cpp), or the model needs KV checkpoints (hybrid, recurrent, sliding-window),
 * every decode goes through controlledEvaluate instead, with identical results.
 *
 * A sampler's state must not leak between positions: the seeded distribution sampler is recreated
 * whenever the seed changes, so a repeated seed is preceded by another one to force a fresh RNG, and
 * the penalty sampler is rebuilt from the configuration's token history whenever that history is not
 * its own history plus one token. Sampling one sequence's positions runs one at a time, because
 * each applies its configuration to the shared sampler first.
 */
import type {LlamaContext, LlamaContextSequence, LlamaGrammarEvaluationState, Token} from "node-llama-cpp";
import type {PositionLogprobs} from "../types.ts";
import {LogprobProbes} from "./LogprobProbes.ts";
import {BYTES_PER_CANDIDATE, SamplerMemoryReclaimer} from "./SamplerMemoryReclaimer.ts";

/**
 * Per-position sampler settings, in node-llama-cpp's `generateNext.options` shape, plus the request's
 * grammar state, which only the persistent path applies (it advances the state as it samples).
 */
export type SampleOptions = NonNullable<NonNullable<ControlledItemOptions["generateNext"]>["options"]> & {
  readonly grammarEvaluationState?: LlamaGrammarEvaluationState;
  /** Report the sampled token's raw log-probability and this many alternatives (persistent path only). */
  readonly numTopLogprobs?: number;
  /**
   * Report the greedy token's probability (greedy sampling only; persistent path only): 1 over the
   * sum of exp(logit - max logit), which needs no sort of the vocabulary.
   */
  readonly isTopProbabilityWanted?: boolean;
};

/** A position to score without sampling: the log-probability of the token that follows it. */
export interface ScoreOptions {
  readonly token: number;
  readonly numTop: number;
}

/** What one `decode` call feeds and reads. */
export interface DecodeRequest {
  /** Positions in the fed tokens to sample after, with their settings. */
  readonly sampleAt: ReadonlyMap<number, SampleOptions>;
  /** Positions to score (persistent path only). */
  readonly scoreAt?: ReadonlyMap<number, ScoreOptions>;
  /**
   * Verifying drafts: a sampled position after the first is sampled only when the token sampled
   * before it equals the token fed there, so a sampler's state (its grammar) advances by exactly
   * the accepted tokens; the positions after a mismatch come back null. Persistent path only.
   */
  readonly isChained?: boolean;
}

/** What one `decode` call read. */
export interface DecodedPositions {
  /** The token sampled at each position of `sampleAt`, in position order; null when none was. */
  readonly tokens: Array<Token | null>;
  /** With `numTopLogprobs`: the sampled token's log-probabilities, aligned with `tokens`. */
  readonly logprobs: Array<PositionLogprobs | undefined>;
  /** With `isTopProbabilityWanted`: the greedy token's probability, aligned with `tokens`. */
  readonly topProbabilities: Array<number | undefined>;
  /** The scores of `scoreAt`, by position. */
  readonly scores: ReadonlyMap<number, PositionLogprobs>;
}
type ControlledInput = Parameters<LlamaContextSequence["controlledEvaluate"]>[0];
type ControlledItemOptions = Extract<ControlledInput[number], readonly unknown[]>[1] & {};

export type SamplingPath = "persistent-sampler" | "controlled-evaluate";

export interface SequenceDecoder {
  readonly path: SamplingPath;
  /** Whether it can chain, score positions and report log-probabilities. */
  readonly canScore: boolean;
  /** Feeds `tokens` to the sequence, samples and scores the positions asked for. */
  decode(sequenceIndex: number, tokens: readonly Token[], request: DecodeRequest): Promise<DecodedPositions>;
  dispose(): void;
}

/** node-llama-cpp's native sampleToken: the token alone, or with what the flags ask for (the last is the total logit weight). */
interface NativeSampleToken {
  (batchLogitIndex: number, sampler: NativeSampler): Promise<number>;
  (batchLogitIndex: number, sampler: NativeSampler, probabilities: false, confidence: false, logits: false, totalLogitWeight: true):
    Promise<[number, unknown, unknown, unknown, number | undefined]>;
}

interface NativeSampler {
  applyConfig(config: object): void;
  dispose(): void;
}

interface SequenceInternals {
  _decodeTokens(tokens: Token[], logits: boolean[], priority: number, tokenMeter: unknown, contextShift: unknown,
    mapper: (batchLogitIndex: number, tokenIndex: number) => unknown): Promise<unknown[]>;
  _resolveSamplerConfig(options: object): object;
  _contextShift: unknown;
  readonly needsCheckpoints: boolean;
  readonly tokenMeter: unknown;
}

/** What a gated position that was not sampled reports: no token. */
const NOT_SAMPLED = -1;

/** node-llama-cpp's default evaluation priority; every item of a step shares it. */
const EVALUATION_PRIORITY = 5;

export interface SequenceDecoderOptions {
  /** Tokens in the vocabulary: sizes the sampler buffers controlledEvaluate leaves for the garbage collector. */
  readonly vocabularySize?: number;
  /** Default persistent-sampler; it falls back to controlled-evaluate where it cannot run. */
  readonly preferred?: SamplingPath;
}

export function createSequenceDecoder(context: LlamaContext, sequences: readonly LlamaContextSequence[],
  {vocabularySize = 131_072, preferred = "persistent-sampler"}: SequenceDecoderOptions = {}): SequenceDecoder {
  if (preferred === "persistent-sampler" && hasInternals(context, sequences)) return new PersistentSamplerDecoder(context, sequences);
  return new ControlledEvaluateDecoder(sequences, new SamplerMemoryReclaimer(vocabularySize * BYTES_PER_CANDIDATE));
}

/** The positions to sample, in order: the order of `decode`'s result. */
function sampledPositions(sampleAt: ReadonlyMap<number, SampleOptions>): number[] {
  return [...sampleAt.keys()].sort((a, b) => a - b);
}

function hasInternals(context: LlamaContext, sequences: readonly LlamaContextSequence[]): boolean {
  const bindings = (context as unknown as {_llama?: {_bindings?: {AddonSampler?: unknown}}})._llama?._bindings;
  const native = (context as unknown as {_ctx?: {sampleToken?: unknown}})._ctx;
  return typeof bindings?.AddonSampler === "function" && typeof native?.sampleToken === "function" &&
    sequences.every((sequence) => {
      const internals = sequence as unknown as Partial<SequenceInternals>;
      return typeof internals._decodeTokens === "function" && typeof internals._resolveSamplerConfig === "function" &&
        internals._contextShift !== undefined && internals.needsCheckpoints === false;
    });
}

class PersistentSamplerDecoder implements SequenceDecoder {
  readonly path = "persistent-sampler";
  readonly canScore = true;
  private readonly samplers: NativeSampler[];
  private readonly probes: LogprobProbes;
  private readonly lastSeeds: Array<number | undefined>;
  private readonly sampleToken: NativeSampleToken;

  constructor(context: LlamaContext, private readonly sequences: readonly LlamaContextSequence[]) {
    const internals = context as unknown as {
      _llama: {_bindings: {AddonSampler: new (model: unknown) => NativeSampler}};
      _ctx: {sampleToken: NativeSampleToken};
    };
    const nativeModel = (context.model as unknown as {_model: unknown})._model;
    this.samplers = sequences.map(() => new internals._llama._bindings.AddonSampler(nativeModel));
    this.lastSeeds = sequences.map(() => undefined);
    this.sampleToken = internals._ctx.sampleToken.bind(internals._ctx);
    this.probes = new LogprobProbes(context, sequences);
  }

  async decode(sequenceIndex: number, tokens: readonly Token[], request: DecodeRequest): Promise<DecodedPositions> {
    const {sampleAt, scoreAt, isChained = false} = request;
    const sequence = this.sequences[sequenceIndex] as unknown as SequenceInternals;
    const positions = sampledPositions(sampleAt);
    const logits = tokens.map((_, index) => sampleAt.has(index) || scoreAt?.has(index) === true);
    const logprobs = new Map<number, PositionLogprobs>();
    const topProbabilities = new Map<number, number>();
    const scores = new Map<number, PositionLogprobs>();
    // A sequence's positions are read one at a time, in order: each applies its settings to the
    // sequence's samplers, and a chained position needs the token sampled before it.
    let queue: Promise<unknown> = Promise.resolve();
    let lastSampled: number = NOT_SAMPLED;
    const read = async (batchLogitIndex: number, tokenIndex: number): Promise<number | undefined> => {
      const score = scoreAt?.get(tokenIndex);
      if (score) scores.set(tokenIndex, await this.probes.score(sequenceIndex, batchLogitIndex, score.token, score.numTop));
      const options = sampleAt.get(tokenIndex);
      if (!options) return undefined;
      if (isChained && tokenIndex !== positions[0] && lastSampled !== tokens[tokenIndex]) return (lastSampled = NOT_SAMPLED);
      const config = sequence._resolveSamplerConfig(options) as {seed?: number};
      if (options.isTopProbabilityWanted === true) {
        const [token, probability] = await this.sampleWithTopProbability(sequenceIndex, batchLogitIndex, config);
        topProbabilities.set(tokenIndex, probability);
        return (lastSampled = token);
      }
      const token = await this.sample(sequenceIndex, batchLogitIndex, config);
      if (options.numTopLogprobs !== undefined && token >= 0) {
        logprobs.set(tokenIndex, await this.probes.score(sequenceIndex, batchLogitIndex, token, options.numTopLogprobs));
      }
      return (lastSampled = token);
    };
    // _decodeTokens copies the tokens it is given before consuming them.
    const results = await sequence._decodeTokens(tokens as Token[], logits, EVALUATION_PRIORITY, sequence.tokenMeter, sequence._contextShift,
      (batchLogitIndex, tokenIndex) => {
        const result = queue.then(() => read(batchLogitIndex, tokenIndex));
        queue = result.catch(() => undefined);
        return result;
      });
    return {
      tokens: positions.map((index) => {
        const token = results[index];
        return typeof token === "number" && token >= 0 ? token as Token : null;
      }),
      logprobs: positions.map((index) => logprobs.get(index)),
      topProbabilities: positions.map((index) => topProbabilities.get(index)),
      scores
    };
  }

  private async sample(sequenceIndex: number, batchLogitIndex: number, config: {seed?: number}): Promise<number> {
    this.applyFresh(sequenceIndex, config);
    return await this.sampleToken(batchLogitIndex, this.samplers[sequenceIndex]!);
  }

  private async sampleWithTopProbability(sequenceIndex: number, batchLogitIndex: number, config: {seed?: number}): Promise<[number, number]> {
    this.applyFresh(sequenceIndex, config);
    const [token, , , , totalLogitWeight] = await this.sampleToken(batchLogitIndex, this.samplers[sequenceIndex]!, false, false, false, true);
    return [token, topProbabilityOf(totalLogitWeight)!];
  }

  /** Applies `config` so that sampling behaves as with a sampler created for it. */
  private applyFresh(sequenceIndex: number, config: {seed?: number}): void {
    const sampler = this.samplers[sequenceIndex]!;
    // The distribution sampler keeps its RNG state while the seed stays the same.
    if (config.seed !== undefined && config.seed === this.lastSeeds[sequenceIndex])
      sampler.applyConfig({...config, seed: (config.seed + 1) >>> 0});
    sampler.applyConfig(config);
    this.lastSeeds[sequenceIndex] = config.seed;
  }

  dispose(): void {
    for (const sampler of this.samplers) sampler.dispose();
    this.probes.dispose();
  }
}

class ControlledEvaluateDecoder implements SequenceDecoder {
  readonly path = "controlled-evaluate";
  readonly canScore = false;

  constructor(private readonly sequences: readonly LlamaContextSequence[], private readonly samplerMemory: SamplerMemoryReclaimer) {}

  /** Samples every position asked for; it neither chains nor scores (requests that need either are refused at submit). */
  async decode(sequenceIndex: number, tokens: readonly Token[], {sampleAt}: DecodeRequest): Promise<DecodedPositions> {
    // Every controlledEvaluate call leaves a sampler for the garbage collector, sampling or not.
    this.samplerMemory.noteSamplers(1);
    const input = tokens.map((token, index) => {
      const options = sampleAt.get(index);
      if (!options) return token;
      const {isTopProbabilityWanted = false, ...sampling} = options;
      return [token, {generateNext: {token: true, totalLogitWeight: isTopProbabilityWanted, options: sampling}}] as const;
    }) as ControlledInput;
    const results = await this.sequences[sequenceIndex]!.controlledEvaluate(input);
    const positions = sampledPositions(sampleAt);
    return {
      tokens: positions.map((index) => results[index]?.next.token ?? null),
      logprobs: positions.map(() => undefined),
      topProbabilities: positions.map((index) => topProbabilityOf(results[index]?.next.totalLogitWeight)),
      scores: new Map()
    };
  }

  dispose(): void {}
}

/** The greedy token's probability from the sum of exp(logit - max logit); undefined when not asked. */
function topProbabilityOf(totalLogitWeight: number | undefined): number | undefined {
  if (totalLogitWeight === undefined) return undefined;
  return totalLogitWeight >= 1 ? 1 / totalLogitWeight : 0;
}
