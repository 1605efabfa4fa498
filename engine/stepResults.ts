/**
 * The engine's two halves of a step around the executor: before it, what the executor needs beside
 * the scheduler's output (each sampling request's plan, the prompts to score, the prompt-only
 * requests that sample nothing); after it, handing each request its tokens, log-probabilities and
 * scores, and saying which requests the step ended and why (an engine fault, end-of-generation, a
 * stop string). Pure functions over the engine's per-request states.
 */
import type {FinishReason, SchedulerOutput} from "../scheduler/types.ts";
import type {ExecutedStep, PromptScoring, SamplingPlan} from "./executor/types.ts";
import type {RequestOutput} from "./RequestOutput.ts";
import type {PositionLogprobs} from "./types.ts";

export interface StepPlan {
  readonly plans: Map<string, SamplingPlan>;
  readonly scoring: Map<string, PromptScoring>;
  /** Requests with max_tokens 0 at their sampling step: their prompt is in, nothing is sampled. */
  readonly promptOnlyIds: string[];
}

export function planStep(output: SchedulerOutput, states: ReadonlyMap<string, RequestOutput>, startMs: number): StepPlan {
  const plans = new Map<string, SamplingPlan>();
  const scoring = new Map<string, PromptScoring>();
  const promptOnlyIds: string[] = [];
  for (const entry of output.scheduled) {
    const state = states.get(entry.requestId)!;
    const {request} = state;
    if (entry.isNewlyPlaced) state.markScheduled(startMs, entry.numComputedTokens);
    if (request.promptLogprobs) scoring.set(entry.requestId, {numTop: request.promptLogprobs.numTop, promptTokens: request.promptTokens});
    if (!entry.isSampling) continue;
    if (request.maxTokens === 0) promptOnlyIds.push(entry.requestId);
    else plans.set(entry.requestId, state.samplingPlan(1 + entry.maxNumDraftTokens));
  }
  return {plans, scoring, promptOnlyIds};
}

export interface TakeContext {
  readonly states: ReadonlyMap<string, RequestOutput>;
  /** Requests ending at this step boundary anyway: their tokens are not taken. */
  readonly pendingAborts: ReadonlyMap<string, FinishReason>;
  readonly isEndOfGeneration: (token: number) => boolean;
}

export interface TakenStep {
  readonly sampledTokens: Map<string, readonly number[]>;
  readonly stoppedIds: Map<string, FinishReason>;
}

export function takeStep(executed: ExecutedStep, context: TakeContext, endMs: number): TakenStep {
  const {states} = context;
  const sampledTokens = new Map<string, readonly number[]>();
  const stoppedIds = new Map<string, FinishReason>();
  for (const [requestId, error] of executed.failures) {
    states.get(requestId)?.fail(error);
    stoppedIds.set(requestId, "error");
  }
  for (const [requestId, scores] of executed.promptScores ?? []) states.get(requestId)?.addPromptScores(scores);
  for (const [requestId, tokens] of executed.sampledTokens) {
    const state = states.get(requestId);
    if (!state || context.pendingAborts.has(requestId)) continue;
    const taken = takeTokens(state, tokens, executed.logprobs?.get(requestId), context, endMs);
    if (taken.isStopped) stoppedIds.set(requestId, "stop");
    if (taken.tokens.length > 0) sampledTokens.set(requestId, taken.tokens);
  }
  for (const [requestId, counts] of executed.draftCounts) states.get(requestId)?.addDraftCounts(counts);
  return {sampledTokens, stoppedIds};
}

/**
 * Streams a step's tokens in order until one ends the request: an end-of-generation token (not
 * content: neither streamed nor counted) or a stop string. Tokens after it are dropped.
 */
function takeTokens(state: RequestOutput, tokens: readonly number[], logprobs: readonly PositionLogprobs[] | undefined, context: TakeContext,
  nowMs: number): {tokens: readonly number[]; isStopped: boolean} {
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (!state.request.isEndOfGenerationIgnored && context.isEndOfGeneration(token)) return {tokens: tokens.slice(0, index), isStopped: true};
    if (state.acceptToken(token, nowMs, logprobs?.[index])) return {tokens: tokens.slice(0, index + 1), isStopped: true};
  }
  return {tokens, isStopped: false};
}
