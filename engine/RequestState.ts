/**
 * Everything the engine keeps about one request while it runs, apart from scheduling: its output
 * tokens, the text pipeline (detokenizer, then stop matcher), its sampling seed and its timings.
 * Owns turning accepted tokens into stream events; does not decide when the request runs or ends.
 */
import type {FinishedRequest} from "../scheduler/types.ts";
import type {SamplingPlan} from "./executor/types.ts";
import type {GenerationStream} from "./GenerationStream.ts";
import {type Detokenize, IncrementalDetokenizer} from "./text/IncrementalDetokenizer.ts";
import {StopMatcher} from "./text/StopMatcher.ts";
import type {GenerationRequest} from "./types.ts";

/** Mixes a request seed and a position into a per-step seed, so each draw is independent yet reproducible. */
function stepSeedOf(seed: number, position: number): number {
  let h = (seed ^ Math.imul(position + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export class RequestState {
  private readonly outputTokens: number[] = [];
  private readonly detokenizer: IncrementalDetokenizer;
  private readonly stopMatcher: StopMatcher;
  private readonly seed: number;
  private firstTokenMs: number | null = null;
  private firstScheduledMs: number | null = null;
  private numCachedPromptTokens = 0;
  private errorMessage: string | undefined;

  constructor(
    readonly request: GenerationRequest,
    private readonly submitMs: number,
    detokenize: Detokenize,
    readonly stream: GenerationStream
  ) {
    this.detokenizer = new IncrementalDetokenizer(detokenize);
    this.stopMatcher = new StopMatcher(request.stop);
    this.seed = request.sampling.seed ?? Math.floor(Math.random() * 0xffffffff);
  }

  private get arrivalMs(): number {
    return this.request.arrivalMs ?? this.submitMs;
  }

  samplingPlan(): SamplingPlan {
    return {
      sampling: this.request.sampling,
      stepSeed: stepSeedOf(this.seed, this.outputTokens.length),
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
    this.firstTokenMs ??= nowMs;
    const match = this.stopMatcher.push(this.detokenizer.push([token]));
    this.stream.push({type: "delta", delta: {text: match.text, tokenIds: [token]}});
    return match.isStopped;
  }

  fail(error: Error): void {
    this.errorMessage = error.message;
  }

  /** Flushes held-back text and closes the stream with the summary. */
  complete(finished: FinishedRequest, nowMs: number): void {
    const tail = this.stopMatcher.push(this.detokenizer.flush()).text + this.stopMatcher.flush();
    if (tail.length > 0) this.stream.push({type: "delta", delta: {text: tail, tokenIds: []}});
    this.stream.push({
      type: "done",
      summary: {
        finishReason: finished.reason,
        numPromptTokens: this.request.promptTokens.length,
        numCachedPromptTokens: this.numCachedPromptTokens,
        numOutputTokens: this.outputTokens.length,
        timings: {
          queueMs: (this.firstScheduledMs ?? nowMs) - this.arrivalMs,
          timeToFirstTokenMs: this.firstTokenMs === null ? null : this.firstTokenMs - this.arrivalMs,
          totalMs: nowMs - this.arrivalMs
        },
        ...(this.errorMessage !== undefined ? {errorMessage: this.errorMessage} : {})
      }
    });
  }
}
