/**
 * Turns the moments a request's content arrived into its figures. One place defines them for every
 * transport, so SSE, websocket and non-streaming results mean the same thing:
 *
 *   TTFT = first non-empty content chunk - send      (role-only chunks do not count)
 *   ITL  = each gap between successive content chunks (per chunk: a chunk may hold several tokens)
 *   E2E  = end of the response ([DONE], the ws `done` message, or the last byte) - send
 *   TPOT = (E2E - TTFT) / (output tokens - 1), only for streams with at least two tokens
 *
 * Output tokens come from the server's `usage` when it sends one, else from the bench's tokenizer
 * over the received text. Knows nothing of sockets.
 */
import type {TokenCounter} from "../tokenCounter.ts";
import type {FailureType, RequestResult, RequestSpec} from "../types.ts";
import type {Usage} from "./chunk.ts";

/** Collects one request's timestamps and text; `finish` or `fail` produces its result. */
export class RequestRecorder {
  #sentAtMs = 0;
  #firstContentAtMs: number | undefined;
  #lastContentAtMs: number | undefined;
  readonly #itlMs: number[] = [];
  #text = "";
  #contentChunks = 0;
  #usage: Usage = {};
  #finishReason: string | undefined;
  #isRetriedOnFreshConnection = false;

  constructor(
    private readonly spec: RequestSpec,
    private readonly counter: TokenCounter,
    private readonly roundStartMs: number,
    private readonly isStreaming: boolean
  ) {}

  /** Marks the send time; call right before the request leaves (again when it is re-sent). */
  start(): void {
    this.#sentAtMs = performance.now();
  }

  /** Notes that the request was re-sent on a fresh connection (see `RequestResult`). */
  markRetriedOnFreshConnection(): void {
    this.#isRetriedOnFreshConnection = true;
  }

  /** Records a chunk's content received at `atMs`; empty text is ignored. */
  content(text: string, atMs: number): void {
    if (text === "") return;
    if (this.#lastContentAtMs === undefined) this.#firstContentAtMs = atMs;
    else this.#itlMs.push(atMs - this.#lastContentAtMs);
    this.#lastContentAtMs = atMs;
    this.#text += text;
    this.#contentChunks++;
  }

  usage(usage: Usage): void {
    this.#usage = {...this.#usage, ...usage};
  }

  finishReason(reason: string): void {
    this.#finishReason = reason;
  }

  get hasFinishReason(): boolean {
    return this.#finishReason !== undefined;
  }

  get receivedChars(): number {
    return this.#text.length;
  }

  /** The successful result, the response having ended at `atMs`. */
  finish(atMs: number): RequestResult {
    return this.#result(atMs);
  }

  /** The failed result, the failure noticed at `atMs`. */
  fail(type: FailureType, message: string, atMs: number): RequestResult {
    return this.#result(atMs, {type, message});
  }

  #result(atMs: number, failure?: RequestResult["failure"]): RequestResult {
    const e2eMs = atMs - this.#sentAtMs;
    const ttftMs = this.#firstContentAtMs === undefined ? undefined : this.#firstContentAtMs - this.#sentAtMs;
    const fromUsage = this.#usage.completionTokens;
    const outputTokens = fromUsage ?? this.counter.count(this.#text);
    const promptFromUsage = this.#usage.promptTokens;
    const hasTpot = this.isStreaming && ttftMs !== undefined && outputTokens > 1;
    return {
      id: this.spec.id,
      isSuccess: failure === undefined,
      ...(failure === undefined ? {} : {failure}),
      startMs: this.#sentAtMs - this.roundStartMs,
      ...(ttftMs === undefined ? {} : {ttftMs}),
      e2eMs,
      itlMs: this.#itlMs,
      ...(hasTpot ? {tpotMs: (e2eMs - ttftMs) / (outputTokens - 1)} : {}),
      outputTokens,
      outputTokensSource: fromUsage === undefined ? "tokenizer" : "usage",
      promptTokens: promptFromUsage ?? this.spec.estimatedPromptTokens,
      promptTokensSource: promptFromUsage === undefined ? "tokenizer" : "usage",
      contentChunks: this.#contentChunks,
      ...(this.#isRetriedOnFreshConnection ? {isRetriedOnFreshConnection: true} : {}),
      ...(this.spec.isReplyKept === true && failure === undefined ? {replyText: this.#text} : {})
    };
  }
}
