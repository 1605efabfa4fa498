/**
 * Everything the engine keeps about one request while it runs, apart from scheduling: its output
 * tokens, the text pipeline (detokenizer, then stop matcher), its sampling seed and its timings
 * (queue, prefill, first token, the gap before each later token). Owns turning accepted tokens into
 * stream events and the summary; does not decide when the request runs or ends.
 */
import type {DraftCounts, FinishedRequest} from "../scheduler/types.ts";
import type {SamplingPlan} from "./executor/types.ts";
import type {GenerationStream} from "./GenerationStream.ts";
import type {TextStreamDecoder} from "./text/IncrementalDetokenizer.ts";
import {LogprobAligner} from "./text/LogprobAligner.ts";
import {StopMatcher} from "./text/StopMatcher.ts";
import {
  DEFAULT_VARIANT, type GenerationRequest, type GenerationSummary, type PositionLogprobs, type PromptTokenLogprob, type TokenDelta, type TokenLogprob
} from "./types.ts";

/** A token's text (lossy for a piece of a character) and its exact bytes. */
export type TokenDescriber = (token: number) => {readonly text: string; readonly bytes: readonly number[]};

/** Mixes a request seed and a position into a per-step seed, so each draw is independent yet reproducible. */
function stepSeedOf(seed: number, position: number): number {
  let h = (seed ^ Math.imul(position + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export class RequestOutput {
  private readonly outputTokens: number[] = [];
  private readonly detokenizer: TextStreamDecoder;
  private readonly stopMatcher: StopMatcher;
  private readonly seed: number;
  private firstTokenMs: number | null = null;
  private lastTokenMs: number | null = null;
  private firstScheduledMs: number | null = null;
  /**
   * Latency of the token {@link acceptToken} last took: from arrival for the first token, from the
   * previous token after that. Kept as two scalars rather than a list so the hot path allocates nothing.
   */
  private lastTokenLatencyMs = 0;
  private numCachedPromptTokens = 0;
  private errorMessage: string | undefined;
  /** Draft tokens verified and accepted over the request; null until it first speculated. */
  private speculation: {numDraftTokens: number; numAcceptedTokens: number; numDrafts: number} | null = null;

  /** With logprobs asked for: the aligner of sampled tokens' entries and the prompt's scores. */
  private readonly logprobs: {
    readonly aligner: LogprobAligner;
    readonly describe: (scored: PositionLogprobs) => TokenLogprob;
    readonly describeToken: TokenDescriber;
    readonly prompt: (TokenLogprob | undefined)[];
  } | null;

  constructor(
    readonly request: GenerationRequest,
    private readonly submitMs: number,
    detokenizer: TextStreamDecoder,
    readonly stream: GenerationStream,
    describeToken?: TokenDescriber
  ) {
    this.detokenizer = detokenizer;
    this.logprobs = (request.logprobs || request.promptLogprobs) && describeToken ? {
      aligner: new LogprobAligner(),
      describe: ({token, logprob, top}) => ({token, logprob, ...describeToken(token), top: top.map((entry) => ({...entry, ...describeToken(entry.token)}))}),
      describeToken,
      prompt: []
    } : null;
    this.stopMatcher = new StopMatcher(request.stop);
    this.seed = request.sampling.seed ?? Math.floor(Math.random() * 0xffffffff);
  }

  private get arrivalMs(): number {
    return this.request.arrivalMs ?? this.submitMs;
  }

  get variant(): string {
    return this.request.variant ?? DEFAULT_VARIANT;
  }

  /** Arrival to the first token, while the latest tokens taken are the first step's; null otherwise. */
  get timeToFirstTokenMs(): number | null {
    return this.firstTokenMs !== null && this.firstTokenMs === this.lastTokenMs ? this.lastTokenLatencyMs : null;
  }

  /**
   * Gap between the latest step's tokens and the tokens before them; null until a second step gave
   * tokens. Tokens that arrive together (accepted draft tokens) count as one arrival.
   */
  get interTokenLatencyMs(): number | null {
    return this.firstTokenMs !== null && this.firstTokenMs !== this.lastTokenMs ? this.lastTokenLatencyMs : null;
  }

  /** Adds one step's verified draft tokens. */
  addDraftCounts({numDraftTokens, numAcceptedTokens}: DraftCounts): void {
    this.speculation ??= {numDraftTokens: 0, numAcceptedTokens: 0, numDrafts: 0};
    if (numDraftTokens > 0) this.speculation.numDrafts++;
    this.speculation.numDraftTokens += numDraftTokens;
    this.speculation.numAcceptedTokens += numAcceptedTokens;
  }

  /** How to sample this step's `numPositions` tokens (1, or 1 + the drafts verified). */
  samplingPlan(numPositions = 1): SamplingPlan {
    const numOutput = this.outputTokens.length;
    return {
      sampling: this.request.sampling,
      stepSeeds: Array.from({length: numPositions}, (_, offset) => stepSeedOf(this.seed, numOutput + offset)),
      penaltyTokens: this.outputTokens,
      ...(this.request.logprobs ? {numTopLogprobs: this.request.logprobs.numTop} : {})
    };
  }

  /** Records the first time the request ran, and how much of its prompt was already in the sequence. */
  markScheduled(nowMs: number, numComputedTokens: number): void {
    if (this.firstScheduledMs !== null) return;
    this.firstScheduledMs = nowMs;
    this.numCachedPromptTokens = numComputedTokens;
  }

  /**
   * Takes one sampled token (with its log-probabilities when the request asked); streams the text it
   * completes. Returns true when a stop string ended the request.
   */
  acceptToken(token: number, nowMs: number, logprobs?: PositionLogprobs): boolean {
    this.outputTokens.push(token);
    if (this.lastTokenMs !== nowMs) this.lastTokenLatencyMs = nowMs - (this.lastTokenMs ?? this.arrivalMs);
    this.firstTokenMs ??= nowMs;
    this.lastTokenMs = nowMs;
    const decoded = this.detokenizer.push([token]);
    if (logprobs && this.logprobs) this.logprobs.aligner.addToken(this.logprobs.describe(logprobs), decoded);
    const match = this.stopMatcher.push(decoded);
    this.stream.push({type: "delta", delta: this.deltaOf(match.text, [token])});
    return match.isStopped;
  }

  /** Records prompt tokens' scores (echo with logprobs), by the position of the token scored. */
  addPromptScores(scores: ReadonlyMap<number, PositionLogprobs>): void {
    if (!this.logprobs) return;
    for (const [position, score] of scores) this.logprobs.prompt[position] = this.logprobs.describe(score);
  }

  private deltaOf(text: string, tokenIds: readonly number[], isLast = false): TokenDelta {
    if (!this.logprobs) return {text, tokenIds};
    const released = this.logprobs.aligner.emit(text);
    if (isLast) released.push(...this.logprobs.aligner.finish());
    return {text, tokenIds, logprobs: released};
  }

  /** One entry per prompt token: its score, or none for the first (and any never scored). */
  private promptLogprobsOf(scored: readonly (TokenLogprob | undefined)[], describeToken: TokenDescriber): PromptTokenLogprob[] {
    return this.request.promptTokens.map((token, position) => scored[position] ?? {token, ...describeToken(token), logprob: null, top: null});
  }

  fail(error: Error): void {
    this.errorMessage = error.message;
  }

  /** Flushes held-back text and closes the stream with the summary, which it returns. */
  complete(finished: FinishedRequest, nowMs: number): GenerationSummary {
    const held = this.detokenizer.flush();
    this.logprobs?.aligner.addTail(held);
    const tail = this.stopMatcher.push(held).text + this.stopMatcher.flush();
    const last = this.deltaOf(tail, [], true);
    if (tail.length > 0 || (last.logprobs?.length ?? 0) > 0) this.stream.push({type: "delta", delta: last});
    const totalMs = nowMs - this.arrivalMs;
    const numOutputTokens = this.outputTokens.length;
    const timeToFirstTokenMs = this.firstTokenMs === null ? null : this.firstTokenMs - this.arrivalMs;
    const summary: GenerationSummary = {
      finishReason: finished.reason,
      numPromptTokens: this.request.promptTokens.length,
      numCachedPromptTokens: this.numCachedPromptTokens,
      numOutputTokens,
      timings: {
        queueMs: (this.firstScheduledMs ?? nowMs) - this.arrivalMs,
        promptMs: this.firstTokenMs === null || this.firstScheduledMs === null ? null : this.firstTokenMs - this.firstScheduledMs,
        timeToFirstTokenMs,
        timePerOutputTokenMs: timeToFirstTokenMs === null || numOutputTokens < 2 ? null : (totalMs - timeToFirstTokenMs) / (numOutputTokens - 1),
        totalMs
      },
      ...(this.speculation !== null ? {speculation: {...this.speculation}} : {}),
      ...(this.request.grammar !== undefined ? {isConstrained: true} : {}),
      ...(this.request.promptLogprobs !== undefined && this.logprobs ? {promptLogprobs: this.promptLogprobsOf(this.logprobs.prompt, this.logprobs.describeToken)} : {}),
      ...(this.errorMessage !== undefined ? {errorMessage: this.errorMessage} : {})
    };
    this.stream.push({type: "done", summary});
    return summary;
  }
}
