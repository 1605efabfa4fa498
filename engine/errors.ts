/**
 * Domain errors of the engine, each with a stable code in the engine's own vocabulary (prompts are
 * tokens, requests are ids). The server maps codes to HTTP statuses and to the request field at fault
 * in one place; the engine never knows about HTTP or OpenAI's field names.
 */

export type EngineErrorCode =
  | "queue_full"
  /** The prompt leaves no room for one output token in a sequence. */
  | "prompt_too_long"
  | "empty_prompt"
  /** A request id that is already live in this engine. */
  | "duplicate_request_id"
  /** A grammar that does not compile, or one this executor cannot enforce, or with ignore_eos. */
  | "unsupported_grammar"
  /** Log-probabilities this executor cannot report, or more alternatives than it reports. */
  | "unsupported_logprobs"
  | "shutting_down"
  | "not_ready"
  | "model_load_failed";

export class EngineError extends Error {
  constructor(readonly code: EngineErrorCode, message: string) {
    super(message);
    this.name = "EngineError";
  }
}
