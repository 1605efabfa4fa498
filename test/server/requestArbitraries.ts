/**
 * fast-check generators of hostile completion bodies for the fuzz tests (HTTP and websocket): a
 * valid body with one known field set to a value that field refuses, with the field each must be
 * refused for; and free mutations (fields set to any JSON, deleted, unknown ones added) that may or
 * may not stay valid. Which values a field accepts is written out here by hand, from the API as the
 * README documents it, rather than read from the server's zod schemas, so the tests check the schemas
 * instead of restating them. Owns the generators only; sending them is the tests'.
 */
import fc from "fast-check";
import {MAX_MESSAGES, MAX_NAME_CHARS, MAX_STOP_CHARS, MAX_STOP_SEQUENCES} from "../../server/schemas/limits.ts";

export type Endpoint = "/v1/chat/completions" | "/v1/completions";

export const VALID_CHAT = {messages: [{role: "user", content: "hello"}], max_tokens: 2} as const;
export const VALID_TEXT = {prompt: "hello", max_tokens: 2} as const;

export function validBody(endpoint: Endpoint): Record<string, unknown> {
  return structuredClone(endpoint === "/v1/chat/completions" ? VALID_CHAT : VALID_TEXT) as Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isNumberIn = (min: number, max: number) => (value: unknown) => typeof value === "number" && value >= min && value <= max;
const isIntFrom = (min: number, max = Number.MAX_SAFE_INTEGER) => (value: unknown) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const isBoolean = (value: unknown) => typeof value === "boolean";
const isShortString = (max: number) => (value: unknown) => typeof value === "string" && value.length <= max;
const isStop = (value: unknown) => isShortString(MAX_STOP_CHARS)(value) ||
  (Array.isArray(value) && value.length <= MAX_STOP_SEQUENCES && value.every(isShortString(MAX_STOP_CHARS)));
const isStreamOptions = (value: unknown) => isRecord(value) && (value.include_usage == null || isBoolean(value.include_usage));

const ROLES = new Set(["system", "developer", "user", "assistant"]);
function isMessage(value: unknown): boolean {
  if (!isRecord(value) || typeof value.role !== "string" || !ROLES.has(value.role)) return false;
  if (value.name != null && !isShortString(MAX_NAME_CHARS)(value.name)) return false;
  const {content} = value;
  if (typeof content === "string") return true;
  return Array.isArray(content) && content.length > 0 && content.length <= 256 &&
    content.every((part) => isRecord(part) && part.type === "text" && typeof part.text === "string");
}
const isMessages = (value: unknown) => Array.isArray(value) && value.length > 0 && value.length <= MAX_MESSAGES && value.every(isMessage);
const isPrompt = (value: unknown) => (typeof value === "string" && value.length > 0) ||
  (Array.isArray(value) && value.length === 1 && typeof value[0] === "string" && value[0].length > 0);

/** Fields both endpoints share, with what each accepts besides null (every one of them is optional). */
const SHARED_FIELDS: Readonly<Record<string, (value: unknown) => boolean>> = {
  stream: isBoolean,
  stream_options: isStreamOptions,
  max_tokens: isIntFrom(1),
  temperature: isNumberIn(0, 2),
  top_p: isNumberIn(0, 1),
  top_k: isIntFrom(-1),
  min_p: isNumberIn(0, 1),
  seed: isIntFrom(0, 0xffffffff),
  stop: isStop,
  n: (value) => value === 1,
  presence_penalty: isNumberIn(-2, 2),
  frequency_penalty: isNumberIn(-2, 2),
  ignore_eos: isBoolean,
  priority: isIntFrom(Number.MIN_SAFE_INTEGER),
  user: isShortString(MAX_NAME_CHARS)
};

const FIELDS: Readonly<Record<Endpoint, Readonly<Record<string, (value: unknown) => boolean>>>> = {
  "/v1/chat/completions": {...SHARED_FIELDS, messages: isMessages, max_completion_tokens: isIntFrom(1)},
  // echo: true is refused as unsupported (400 naming echo), so only false is accepted.
  "/v1/completions": {...SHARED_FIELDS, prompt: isPrompt, echo: (value) => value === false}
};

/** Any JSON value, with the shapes most likely to slip through a schema made more frequent. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({maxDepth: 3}),
  fc.double({noNaN: true, noDefaultInfinity: true}),
  fc.integer({min: -1e12, max: 1e12}),
  fc.constantFrom(0, -1, 1.5, 2.0000001, 1e308, -1e308, 4294967296, Number.MAX_SAFE_INTEGER + 2, "", "1", "true", true, false, [], {}),
  fc.string({maxLength: 300}),
  fc.array(fc.oneof(fc.string({maxLength: 20}), fc.integer(), fc.constant(null)), {maxLength: 20}),
  fc.string({minLength: MAX_STOP_CHARS + 1, maxLength: MAX_STOP_CHARS + 40}),
  fc.array(fc.record({role: fc.constantFrom("user", "wizard", "", 5), content: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.jsonValue({maxDepth: 2}), {maxLength: 3}))}), {maxLength: 3})
);

export interface WrongField {
  readonly endpoint: Endpoint;
  readonly field: string;
  readonly body: Record<string, unknown>;
}

/** A valid body with one known field set to a value it refuses: must be a 400 whose `param` is that field (or inside it). */
export function wrongField(endpoints: readonly Endpoint[] = ["/v1/chat/completions", "/v1/completions"]): fc.Arbitrary<WrongField> {
  return fc.constantFrom(...endpoints).chain((endpoint) => {
    const fields = FIELDS[endpoint];
    return fc.constantFrom(...Object.keys(fields)).chain((field) =>
      anyJson.filter((value) => value !== null && !fields[field]!(value)).map((value) => ({
        endpoint,
        field,
        body: {...validBody(endpoint), [field]: value}
      })));
  });
}

/** True when `param` (OpenAI's) names `field` or something inside it (`stop[0]`, `messages[0].role`). */
export function isParamOf(param: string | null, field: string): boolean {
  return param === field || (param !== null && (param.startsWith(`${field}[`) || param.startsWith(`${field}.`)));
}

type Mutation = (body: Record<string, unknown>) => void;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom(...new Set([...Object.keys(FIELDS["/v1/chat/completions"]), ...Object.keys(FIELDS["/v1/completions"]), "model"])), anyJson)
    .map(([field, value]): Mutation => (body) => { body[field] = value; }),
  fc.constantFrom("messages", "prompt", "max_tokens").map((field): Mutation => (body) => { delete body[field]; }),
  fc.tuple(fc.string({minLength: 1, maxLength: 12}), anyJson).map(([field, value]): Mutation => (body) => { body[field] = value; }),
  fc.tuple(fc.nat(3), fc.constantFrom("role", "content", "name", "type", "text"), anyJson).map(([index, key, value]): Mutation => (body) => {
    if (Array.isArray(body.messages) && isRecord(body.messages[index % body.messages.length])) (body.messages[index % body.messages.length] as Record<string, unknown>)[key] = value;
  })
);

/** A valid body after 1 to 4 free mutations: valid or not, it must never get a 5xx. */
export function mutatedBody(): fc.Arbitrary<{endpoint: Endpoint; body: Record<string, unknown>}> {
  return fc.tuple(fc.constantFrom<Endpoint>("/v1/chat/completions", "/v1/completions"), fc.array(mutation, {minLength: 1, maxLength: 4}))
    .map(([endpoint, mutations]) => {
      const body = validBody(endpoint);
      for (const apply of mutations) apply(body);
      // Keeps generation short whatever the mutations did to max_tokens.
      if (isIntFrom(1)(body.max_tokens)) body.max_tokens = Math.min(body.max_tokens as number, 4);
      return {endpoint, body};
    });
}
