/**
 * The consumer's end of one request: an async iterable of events (text deltas, then exactly one
 * "done" with the summary) and an `abort()` that asks the engine to stop the request at the next
 * step. Owns the hand-over between the engine loop (producer) and one reader; buffering is bounded
 * by the request's own max tokens. Besides the reader, anyone may wait for the summary alone
 * (`whenDone()`), which arrives even when the reader left early.
 */
import type {GenerationSummary, TokenDelta, TokenLogprob} from "./types.ts";

export type GenerationEvent =
  | {readonly type: "delta"; readonly delta: TokenDelta}
  | {readonly type: "done"; readonly summary: GenerationSummary};

export class GenerationStream implements AsyncIterable<GenerationEvent> {
  private readonly buffered: GenerationEvent[] = [];
  private wake: (() => void) | null = null;
  private isClosed = false;
  private summary: GenerationSummary | null = null;
  private onDone: ((summary: GenerationSummary) => void) | null = null;

  constructor(readonly requestId: string, private readonly onAbort: (requestId: string) => void) {}

  /** @internal Called by the engine loop. */
  push(event: GenerationEvent): void {
    if (this.isClosed) return;
    this.buffered.push(event);
    if (event.type === "done") {
      this.isClosed = true;
      this.summary = event.summary;
      this.onDone?.(event.summary);
    }
    this.wake?.();
    this.wake = null;
  }

  /** Stops the request at the next step; its sequence is freed then. Safe to call more than once. */
  abort(): void {
    if (!this.isClosed) this.onAbort(this.requestId);
  }

  get isFinished(): boolean {
    return this.isClosed;
  }

  /**
   * The summary, once the engine has ended the request, whether or not anyone still reads the stream
   * (an aborted request's summary comes a step after its reader left). Created on first call only.
   */
  whenDone(): Promise<GenerationSummary> {
    if (this.summary !== null) return Promise.resolve(this.summary);
    return new Promise((resolve) => {
      const previous = this.onDone;
      this.onDone = (summary) => {
        previous?.(summary);
        resolve(summary);
      };
    });
  }

  /** A reader that stops iterating early (a client that left) aborts the request. */
  async *[Symbol.asyncIterator](): AsyncIterator<GenerationEvent> {
    try {
      for (;;) {
        const event = this.buffered.shift();
        if (event) {
          yield event;
          if (event.type === "done") return;
          continue;
        }
        await new Promise<void>((resolve) => { this.wake = resolve; });
      }
    } finally {
      this.abort();
    }
  }

  /** Reads the whole stream: the text, the tokens, their log-probabilities (when asked for) and the summary. */
  async collect(): Promise<{text: string; tokenIds: number[]; logprobs: TokenLogprob[]; summary: GenerationSummary}> {
    let text = "";
    const tokenIds: number[] = [];
    const logprobs: TokenLogprob[] = [];
    for await (const event of this) {
      if (event.type === "done") return {text, tokenIds, logprobs, summary: event.summary};
      text += event.delta.text;
      tokenIds.push(...event.delta.tokenIds);
      if (event.delta.logprobs) logprobs.push(...event.delta.logprobs);
    }
    throw new Error("stream ended without a summary");
  }
}
