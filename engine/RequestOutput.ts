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
import {StopMatcher} from "./text/StopMatcher.ts";
import {DEFAULT_VARIANT, type GenerationRequest, type GenerationSummary} from "./types.ts";

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

  constructor(
    readonly request: GenerationRequest,
    private readonly submitMs: number,
    detokenizer: TextStreamDecoder,
    readonly stream: GenerationStream
  ) {
    this.detokenizer = detokenizer;
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
      penaltyTokens: this.outputTokens
    };
  }

  /** Records the first time the request ran, and how much of its prompt was already in the sequence. */
  markScheduled(nowMs: number, numComputedTokens: number): void {
    if (this.firstScheduledMs !== null) return;
    this.firstScheduledMs = nowMs;
    this.numCachedPromptTokens = numComputedTokens;
  }

  /** Takes one sampled token; streams the text it completes. Returns true when a stop string ended the request. */
  acceptToken(token: number, nowMs: number): boolean {
    this.outputTokens.push(token);
    if (this.lastTokenMs !== nowMs) this.lastTokenLatencyMs = nowMs - (this.lastTokenMs ?? this.arrivalMs);
    this.firstTokenMs ??= nowMs;
    this.lastTokenMs = nowMs;
    const match = this.stopMatcher.push(this.detokenizer.push([token]));
    this.stream.push({type: "delta", delta: {text: match.text, tokenIds: [token]}});
    return match.isStopped;
  }

  fail(error: Error): void {
    this.errorMessage = error.message;
  }

  /** Flushes held-back text and closes the stream with the summary, which it returns. */
  complete(finished: FinishedRequest, nowMs: number): GenerationSummary {
    const tail = this.stopMatcher.push(this.detokenizer.flush()).text + this.stopMatcher.flush();
    if (tail.length > 0) this.stream.push({type: "delta", delta: {text: tail, tokenIds: []}});
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
      ...(this.errorMessage !== undefined ? {errorMessage: this.errorMessage} : {})
    };
    this.stream.push({type: "done", summary});
    return summary;
  }
}
