/**
 * One scheduled request's share of a step on a node-llama-cpp sequence: feed its tokens (and its
 * drafts), sample where it asked (each draft position with the seed it would get without drafts,
 * chained so a rejected draft's tail is not sampled), report log-probabilities where asked, score
 * prompt positions for echo, and erase the rejected drafts. Drafts are accepted while the target's
 * own token equals them; the first disagreement, or the token after the last draft, is the target's.
 */
import type {LlamaContextSequence, LlamaGrammarEvaluationState, Token, TokenBias} from "node-llama-cpp";
import type {DraftCounts, ScheduledRequest} from "../../scheduler/types.ts";
import type {PositionLogprobs} from "../types.ts";
import type {GrammarStates} from "./GrammarStates.ts";
import type {SampleOptions, ScoreOptions, SequenceDecoder} from "./SequenceDecoder.ts";
import type {PromptScoring, SamplingPlan} from "./types.ts";

/** What one request's evaluation produced. */
export interface Evaluated {
  /** Accepted drafts, then the target's own token; null for a step that sampled nothing. */
  readonly tokens: readonly number[] | null;
  readonly logprobs?: readonly PositionLogprobs[];
  readonly draftCounts?: DraftCounts;
  /** Scores of prompt tokens, by the position of the token scored. */
  readonly promptScores?: ReadonlyMap<number, PositionLogprobs>;
}

export interface EvaluationContext {
  readonly decoder: SequenceDecoder;
  readonly sequences: readonly LlamaContextSequence[];
  readonly grammars: GrammarStates | null;
}

const NO_SAMPLES: ReadonlyMap<number, SampleOptions> = new Map();

/** The positions of the fed chunk whose next token is a prompt token, each to score that token. */
function scoreAtOf(entry: ScheduledRequest, scoring: PromptScoring | undefined): Map<number, ScoreOptions> | undefined {
  if (!scoring) return undefined;
  const scoreAt = new Map<number, ScoreOptions>();
  entry.tokens.forEach((_, offset) => {
    const next = scoring.promptTokens[entry.numComputedTokens + offset + 1];
    if (next !== undefined) scoreAt.set(offset, {token: next, numTop: scoring.numTop});
  });
  return scoreAt;
}

/** Positions in the chunk -> the prompt position of the token each scored. */
function promptScoresOf(entry: ScheduledRequest, scores: ReadonlyMap<number, PositionLogprobs>): ReadonlyMap<number, PositionLogprobs> {
  return new Map([...scores].map(([offset, score]) => [entry.numComputedTokens + offset + 1, score]));
}

export async function evaluateEntry(context: EvaluationContext, entry: ScheduledRequest, plan: SamplingPlan | undefined,
  drafts: readonly number[], scoring: PromptScoring | undefined): Promise<Evaluated> {
  const {decoder, grammars} = context;
  const scoreAt = scoreAtOf(entry, scoring);
  if (!entry.isSampling || !plan) {
    const decoded = await decoder.decode(entry.sequenceIndex, entry.tokens as Token[], {sampleAt: NO_SAMPLES, scoreAt});
    return {tokens: null, ...(scoreAt ? {promptScores: promptScoresOf(entry, decoded.scores)} : {})};
  }
  const fed = [...entry.tokens, ...drafts] as Token[];
  const firstSampled = entry.tokens.length - 1;
  const grammarEvaluationState = grammars?.stateOf(entry.requestId);
  const sampleAt = new Map<number, SampleOptions>();
  for (let offset = 0; offset <= drafts.length; offset++) {
    sampleAt.set(firstSampled + offset, samplingOptionsOf(plan, offset, drafts, grammarEvaluationState, grammars?.tokenBias));
  }
  const decoded = await decoder.decode(entry.sequenceIndex, fed, {sampleAt, scoreAt, isChained: decoder.canScore});
  const tokens: number[] = [];
  const logprobs: PositionLogprobs[] = [];
  for (let offset = 0; offset <= drafts.length; offset++) {
    const token = decoded.tokens[offset];
    if (token == null) throw new Error("the model produced no token");
    tokens.push(token);
    const logprob = decoded.logprobs[offset];
    if (logprob) logprobs.push(logprob);
    if (token !== drafts[offset]) break;
  }
  const numAccepted = tokens.length - 1;
  const numRejected = drafts.length - numAccepted;
  const sequence = context.sequences[entry.sequenceIndex]!;
  if (numRejected > 0) await sequence.eraseContextTokenRanges([{start: sequence.nextTokenIndex - numRejected, end: sequence.nextTokenIndex}]);
  return {
    tokens,
    ...(plan.numTopLogprobs !== undefined ? {logprobs} : {}),
    ...(entry.maxNumDraftTokens > 0 ? {draftCounts: {numDraftTokens: drafts.length, numAcceptedTokens: numAccepted}} : {}),
    ...(scoreAt ? {promptScores: promptScoresOf(entry, decoded.scores)} : {})
  };
}

/**
 * Sampler settings for the `offset`-th sampled position of a step: the seed that position gets
 * without speculation, and penalties that also count the drafts before it (they precede it in the output).
 */
function samplingOptionsOf(plan: SamplingPlan, offset: number, drafts: readonly number[], grammarEvaluationState: LlamaGrammarEvaluationState | undefined,
  grammarTokenBias: TokenBias | undefined): SampleOptions {
  const {sampling, stepSeeds, penaltyTokens} = plan;
  const hasPenalty = sampling.presencePenalty !== 0 || sampling.frequencyPenalty !== 0;
  const seed = stepSeeds[offset];
  if (seed === undefined) throw new Error(`no seed for sampled position ${offset}`);
  return {
    temperature: sampling.temperature,
    // Top-k 0 means no top-k. node-llama-cpp turns 0 into a top-k of the whole vocabulary, which
    // sorts all of it for every token, the dominant cost of sampling; null leaves the sampler out.
    topK: sampling.topK > 0 ? sampling.topK : NO_TOP_K,
    topP: sampling.topP,
    minP: sampling.minP,
    seed,
    repeatPenalty: hasPenalty ? {
      punishTokens: [...penaltyTokens, ...drafts.slice(0, offset)] as Token[],
      penalty: 1,
      presencePenalty: sampling.presencePenalty,
      frequencyPenalty: sampling.frequencyPenalty
    } : undefined,
    ...(grammarEvaluationState ? {grammarEvaluationState, tokenBias: grammarTokenBias} : {}),
    ...(plan.numTopLogprobs !== undefined ? {numTopLogprobs: plan.numTopLogprobs} : {})
  };
}

/** node-llama-cpp drops null sampler fields, while undefined would get its default top-k of 40. */
const NO_TOP_K = null as unknown as undefined;
