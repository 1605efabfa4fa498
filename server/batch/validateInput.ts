/**
 * Checks a batch's input file before any work starts, line by line, as OpenAI does: each non-blank
 * line must be a JSON object with a unique non-empty `custom_id`, `method` POST, the batch's `url`,
 * and a `body` the endpoint accepts (the same schemas as online requests, the same refused fields, a
 * model this server serves). Problems are reported with their line numbers; a batch with any fails.
 * Owns these rules; the execution of a valid line is `executeBatchRequest.ts`'s.
 */
import {createInterface} from "node:readline";
import {Readable} from "node:stream";
import {EngineError} from "../../engine/errors.ts";
import {toApiError} from "../errors.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {chatCompletionBody} from "../schemas/chatCompletion.ts";
import {completionBody} from "../schemas/completion.ts";
import {parseBody} from "../schemas/parseBody.ts";
import {refuseUnsupportedFields} from "../schemas/unsupportedFields.ts";
import type {BatchEndpoint, BatchLineError, BatchRequestLine} from "./types.ts";

/** OpenAI's limit on requests in one batch. */
export const MAX_BATCH_REQUESTS = 50_000;
/** The batch object lists at most this many problems (the first ones). */
export const MAX_REPORTED_ERRORS = 100;
const MAX_CUSTOM_ID_CHARS = 512;

export interface ValidatedInput {
  readonly lines: readonly BatchRequestLine[];
  /** Empty when the input is valid. */
  readonly errors: readonly BatchLineError[];
}

const lineError = (line: number | null, code: string, message: string, param: string | null = null): BatchLineError => ({code, message, param, line});

/** Checks a body as its endpoint would, minus the prompt's rendering; the first problem, or null. */
function bodyError(registry: ModelRegistry, endpoint: BatchEndpoint, body: unknown, line: number): BatchLineError | null {
  try {
    const isChat = endpoint === "/v1/chat/completions";
    const parsed = parseBody(isChat ? chatCompletionBody : completionBody, body);
    refuseUnsupportedFields(body as Record<string, unknown>, isChat ? "chat" : "text");
    registry.resolve(parsed.model);
    return null;
  } catch (error) {
    // Loading or shutting down is not the input's fault: validation is tried again later.
    if (error instanceof EngineError) throw error;
    const apiError = toApiError(error);
    return lineError(line, apiError.code ?? "invalid_request", apiError.message, apiError.param === null ? "body" : `body.${apiError.param}`);
  }
}

function checkLine(registry: ModelRegistry, endpoint: BatchEndpoint, text: string, line: number, seen: Map<string, number>): BatchLineError | BatchRequestLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return lineError(line, "invalid_json_line", `line ${line} is not valid JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return lineError(line, "invalid_json_line", `line ${line} is not a JSON object`);
  const {custom_id: customId, method, url, body} = parsed as Record<string, unknown>;
  if (typeof customId !== "string" || customId.length === 0) return lineError(line, "missing_custom_id", `line ${line} has no custom_id (a non-empty string)`, "custom_id");
  if (customId.length > MAX_CUSTOM_ID_CHARS) return lineError(line, "invalid_custom_id", `custom_id may have at most ${MAX_CUSTOM_ID_CHARS} characters`, "custom_id");
  const earlier = seen.get(customId);
  if (earlier !== undefined) return lineError(line, "duplicate_custom_id", `custom_id '${customId}' is already used on line ${earlier}`, "custom_id");
  seen.set(customId, line);
  if (method !== "POST") return lineError(line, "invalid_method", `method must be POST, got ${JSON.stringify(method)}`, "method");
  if (url !== endpoint) return lineError(line, "invalid_url", `url must be the batch's endpoint ${endpoint}, got ${JSON.stringify(url)}`, "url");
  const problem = bodyError(registry, endpoint, body, line);
  if (problem) return problem;
  return {line, customId, body: JSON.stringify(body)};
}

/** Reads and checks every line of `content`. Throws EngineError while the models are not servable. */
export async function validateInput(registry: ModelRegistry, endpoint: BatchEndpoint, content: AsyncIterable<Buffer>): Promise<ValidatedInput> {
  const lines: BatchRequestLine[] = [];
  const errors: BatchLineError[] = [];
  const seen = new Map<string, number>();
  let lineNumber = 0;
  for await (const text of createInterface({input: Readable.from(content), crlfDelay: Infinity})) {
    lineNumber++;
    if (text.trim().length === 0) continue;
    const checked = checkLine(registry, endpoint, text, lineNumber, seen);
    if ("code" in checked) {
      if (errors.length < MAX_REPORTED_ERRORS) errors.push(checked);
    } else if (lines.length < MAX_BATCH_REQUESTS) {
      lines.push(checked);
    } else if (errors.length < MAX_REPORTED_ERRORS) {
      errors.push(lineError(lineNumber, "too_many_requests", `a batch holds at most ${MAX_BATCH_REQUESTS} requests`));
      break;
    }
  }
  if (lines.length === 0 && errors.length === 0) errors.push(lineError(null, "empty_file", "the input file has no requests"));
  return {lines, errors};
}
