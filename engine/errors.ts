/**
 * Domain errors of the engine, each with a stable code. The server maps codes to HTTP statuses in
 * one place (its error handler); the engine never knows about HTTP.
 */

export type EngineErrorCode =
  | "queue_full"
  | "context_length_exceeded"
  | "shutting_down"
  | "not_ready"
  | "model_load_failed";

export class EngineError extends Error {
  constructor(readonly code: EngineErrorCode, message: string, readonly param: string | null = null) {
    super(message);
    this.name = "EngineError";
  }
}
