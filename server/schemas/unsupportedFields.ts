/**
 * OpenAI request fields this server knows but does not honour. A client that sends one asking for
 * something (a tool, log-probabilities, several choices, audio) would otherwise get a 200 that
 * quietly ignored it, so each is refused with a 400 naming the field. Values that ask for nothing
 * (`tools: []`, `logprobs: false`, `n: 1`, `modalities: ["text"]`) pass. Fields unknown to OpenAI
 * are still ignored, as OpenAI and vLLM do. Owns the list; a field leaves it when it is honoured.
 */
import {ApiError} from "../errors.ts";

type Body = Readonly<Record<string, unknown>>;

interface UnsupportedField {
  readonly field: string;
  /** True when the value asks for something the server would not do. */
  readonly isRequested: (value: unknown) => boolean;
  readonly reason: string;
}

const isSet = (value: unknown): boolean => value !== undefined && value !== null;
const isTrue = (value: unknown): boolean => value === true;
const isNonEmptyArray = (value: unknown): boolean => Array.isArray(value) ? value.length > 0 : isSet(value);
const isNonEmptyObject = (value: unknown): boolean =>
  typeof value === "object" && value !== null ? Object.keys(value).length > 0 : isSet(value);

/** Fields of both completion endpoints. */
const COMMON: readonly UnsupportedField[] = [
  {field: "logit_bias", isRequested: isNonEmptyObject, reason: "logit_bias is not supported"},
  {field: "service_tier", isRequested: (value) => isSet(value) && value !== "auto" && value !== "default", reason: "only the default service tier exists"}
];

const CHAT: readonly UnsupportedField[] = [
  ...COMMON,
  {field: "functions", isRequested: isNonEmptyArray, reason: "the deprecated functions API is not supported: use tools"},
  {field: "function_call", isRequested: (value) => isSet(value) && value !== "none", reason: "the deprecated functions API is not supported: use tool_choice"},
  {field: "audio", isRequested: isSet, reason: "audio output is not supported"},
  {field: "modalities", isRequested: (value) => isSet(value) && !(Array.isArray(value) && value.every((modality) => modality === "text")),
    reason: "only the text modality is supported"},
  {field: "prediction", isRequested: isSet, reason: "predicted outputs are not supported"},
  {field: "web_search_options", isRequested: isSet, reason: "web search is not supported"},
  {field: "reasoning_effort", isRequested: isSet, reason: "reasoning_effort is not supported: the served models do not reason on request"},
  {field: "verbosity", isRequested: isSet, reason: "verbosity is not supported"},
  {field: "store", isRequested: isTrue, reason: "stored completions are not supported"}
];

const TEXT: readonly UnsupportedField[] = [
  ...COMMON,
  {field: "best_of", isRequested: (value) => isSet(value) && value !== 1, reason: "best_of is not supported"},
  {field: "suffix", isRequested: (value) => isSet(value) && value !== "", reason: "suffix (insertion) is not supported"}
];

const BY_KIND = {chat: CHAT, text: TEXT} as const;

/** Throws a 400 naming the first field `body` sets that the server would not honour. */
export function refuseUnsupportedFields(body: Body, kind: keyof typeof BY_KIND): void {
  for (const {field, isRequested, reason} of BY_KIND[kind]) {
    if (field in body && isRequested(body[field])) {
      throw new ApiError(400, `${reason} (${field})`, "invalid_request_error", field, "unsupported_parameter");
    }
  }
}
