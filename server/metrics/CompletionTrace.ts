/**
 * The one log line of a completion request. Two things end a request and they come in either order:
 * the HTTP exchange (a status, or 499 when the client left) and the engine's summary (which arrives a
 * step after an abort). The trace waits for both, then writes one line with the request's ids,
 * session key, variant, status, finish reason, token counts and timings; a request the engine never accepted (429,
 * 400) is written as soon as its status is known. Prompts and outputs are kept and written only with
 * `--log-prompts`: they are user data. Owns the line; `requestHooks.ts` reports the HTTP end.
 */
import type {FastifyBaseLogger, FastifyRequest} from "fastify";
import type {GenerationStream} from "../../engine/GenerationStream.ts";
import type {GenerationSummary} from "../../engine/types.ts";
import {timingsOf} from "../openai/usage.ts";

export interface CompletionInfo {
  /** The id of the completion object (`chatcmpl-...`), also the engine's request id. */
  readonly completionId: string;
  readonly modelName: string;
  readonly variant: string;
  /** The session key (`x-session-id`, else `user`): follows one conversation across turns and replicas. */
  readonly sessionKey?: string | null;
  /** The messages or prompt as the client sent them; logged only with `--log-prompts`. */
  readonly prompt: unknown;
  /** The response format the output was constrained to (`json_object`, `json_schema`); absent for free text. */
  readonly responseFormat?: string;
  /** JSON pointers of schema keywords the grammar could not enforce and left out (non-strict schemas). */
  readonly droppedSchemaKeywords?: readonly string[];
}

export class CompletionTrace {
  /** Gets the output text as it is delivered; undefined unless prompts are logged, so nothing is kept. */
  readonly onText: ((text: string) => void) | undefined;
  private output = "";
  private summary: GenerationSummary | null = null;
  /** With several choices (`n`): each one's output tokens; the line's other figures are the first choice's. */
  private numOutputTokensByChoice: readonly number[] | null = null;
  private statusCode: number | null = null;
  private isSubmitted = false;
  private isLogged = false;

  constructor(private readonly log: FastifyBaseLogger, readonly info: CompletionInfo, private readonly isPromptLogged: boolean) {
    this.onText = isPromptLogged ? (text) => { this.output += text; } : undefined;
  }

  /** The engine accepted the generation (one stream per choice): the line waits for every summary. */
  attach(streams: readonly GenerationStream[]): void {
    this.isSubmitted = true;
    void Promise.all(streams.map((stream) => stream.whenDone())).then((summaries) => {
      this.summary = summaries[0]!;
      this.numOutputTokensByChoice = summaries.length > 1 ? summaries.map((summary) => summary.numOutputTokens) : null;
      this.write();
    });
  }

  /** The HTTP exchange ended with this status; later calls are ignored. */
  end(statusCode: number): void {
    if (this.statusCode !== null) return;
    this.statusCode = statusCode;
    this.write();
  }

  private write(): void {
    if (this.isLogged || this.statusCode === null || (this.isSubmitted && this.summary === null)) return;
    this.isLogged = true;
    const {summary, info} = this;
    const line: Record<string, unknown> = {
      completionId: info.completionId,
      model: info.modelName,
      variant: info.variant,
      status: this.statusCode
    };
    if (info.sessionKey != null) line.session = info.sessionKey;
    if (info.responseFormat !== undefined) line.responseFormat = info.responseFormat;
    if (info.droppedSchemaKeywords !== undefined && info.droppedSchemaKeywords.length > 0) line.droppedSchemaKeywords = info.droppedSchemaKeywords;
    if (summary !== null) {
      // The engine's reason, not OpenAI's: "abort", "error" and "timeout" matter to an operator.
      line.finishReason = summary.finishReason;
      line.timings = timingsOf(summary);
      if (this.numOutputTokensByChoice) line.choiceOutputTokens = this.numOutputTokensByChoice;
      if (summary.errorMessage !== undefined) line.error = summary.errorMessage;
    }
    if (this.isPromptLogged) {
      line.prompt = info.prompt;
      if (summary !== null) line.output = this.output;
    }
    this.log.info(line, summary === null ? "request rejected" : "request finished");
  }
}

/** Starts the trace of each completion request, with the server's prompt-logging setting. */
export class CompletionTracker {
  constructor(readonly isPromptLogged: boolean) {}

  start(request: FastifyRequest, info: CompletionInfo): CompletionTrace {
    const trace = new CompletionTrace(request.log, info, this.isPromptLogged);
    request.completion = trace;
    return trace;
  }
}
