/**
 * What the engine refuses at submit, before the scheduler sees a request, and how it names the
 * scheduler's own refusals: all in the engine's vocabulary (EngineError codes), never OpenAI's.
 */
import {EngineError} from "./errors.ts";
import {type GenerationRequest, MAX_TOP_LOGPROBS} from "./types.ts";

export interface SubmitConditions {
  readonly isAccepting: boolean;
  /** Tokens one sequence holds, prompt and output together. */
  readonly sequenceCapacity: number;
  /** Whether the executor can enforce a grammar. */
  readonly canConstrain: boolean;
  /** Whether the executor can report log-probabilities. */
  readonly canScore: boolean;
}

/** Throws the EngineError of a request that cannot be queued. */
export function checkSubmittable(request: GenerationRequest, conditions: SubmitConditions): void {
  if (!conditions.isAccepting) throw new EngineError("shutting_down", "the server is shutting down");
  const numPromptTokens = request.promptTokens.length;
  const capacity = conditions.sequenceCapacity;
  if (numPromptTokens === 0) throw new EngineError("empty_prompt", "the prompt is empty");
  if (numPromptTokens >= capacity) {
    throw new EngineError("prompt_too_long",
      `This model's maximum context length is ${capacity} tokens. However, your prompt has ${numPromptTokens} tokens ` +
      `and at least 1 more is needed for the completion.`);
  }
  checkLogprobs(request, conditions.canScore);
  if (request.grammar === undefined) return;
  if (!conditions.canConstrain) throw new EngineError("unsupported_grammar", "this model's decoding path cannot enforce a grammar");
  // A completed grammar allows only end-of-generation: ignoring it would loop on forbidden tokens.
  if (request.isEndOfGenerationIgnored) throw new EngineError("unsupported_grammar", "a grammar cannot be combined with ignoring end-of-generation");
}

function checkLogprobs(request: GenerationRequest, canScore: boolean): void {
  for (const asked of [request.logprobs, request.promptLogprobs]) {
    if (asked === undefined) continue;
    if (!canScore) throw new EngineError("unsupported_logprobs", "this model's decoding path cannot report log-probabilities");
    if (!Number.isInteger(asked.numTop) || asked.numTop < 0 || asked.numTop > MAX_TOP_LOGPROBS) {
      throw new EngineError("unsupported_logprobs", `at most ${MAX_TOP_LOGPROBS} alternatives per token can be reported`);
    }
  }
}

/** The engine's error for a request the scheduler refused. */
export function refusalError(reason: "queue_full" | "too_long" | "duplicate_id"): EngineError {
  if (reason === "queue_full") return new EngineError("queue_full", "too many requests are waiting; retry later");
  if (reason === "duplicate_id") return new EngineError("duplicate_request_id", "a request with this id is already running");
  return new EngineError("prompt_too_long", "the prompt leaves no room for an output token");
}
