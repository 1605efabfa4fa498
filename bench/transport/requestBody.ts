/**
 * Builds the JSON body of one request for the chat or completions endpoint, and its per-request
 * headers. Fixed output lengths use `max_tokens` plus `ignore_eos` (a vLLM and llama-server extension
 * that other servers ignore). A conversation's id goes as the body's `user` or the `x-session-id`
 * header when asked. Knows nothing of how the body is sent.
 */
import type {RequestSpec} from "../types.ts";
import type {TransportContext} from "./types.ts";

/** The body for `spec`; `isStream` adds `stream_options.include_usage` so servers report counts. */
export function buildRequestBody(spec: RequestSpec, context: TransportContext, isStream: boolean): Record<string, unknown> {
  const {config, target} = context;
  const content =
    config.endpoint === "chat"
      ? {messages: spec.messages}
      : {prompt: spec.messages.map((message) => message.content).join("\n\n")};
  return {
    // Fields from a JSONL line go first so the bench's own fields win.
    ...spec.extraBody,
    ...config.extraBody,
    model: target.model,
    ...content,
    max_tokens: spec.maxTokens,
    temperature: config.temperature,
    seed: spec.seed,
    ...(config.responseFormat ? {response_format: config.responseFormat} : config.isIgnoreEos ? {ignore_eos: true} : {}),
    stream: isStream,
    ...(isStream ? {stream_options: {include_usage: true}} : {}),
    ...(config.sessionKey === "user" && spec.sessionId !== undefined ? {user: spec.sessionId} : {})
  };
}

/** The header inflight reads its session key from, and the load balancer configs in deploy/ hash. */
export const SESSION_HEADER = "x-session-id";

/** Headers of this request alone: its conversation's id, when it goes as a header. */
export function sessionHeaders(spec: RequestSpec, context: TransportContext): Record<string, string> {
  return context.config.sessionKey === "header" && spec.sessionId !== undefined ? {[SESSION_HEADER]: spec.sessionId} : {};
}

/** The HTTP path of the configured endpoint. */
export function endpointPath(endpoint: TransportContext["config"]["endpoint"]): string {
  return endpoint === "chat" ? "/v1/chat/completions" : "/v1/completions";
}

/**
 * Headers for a JSON request, with the API key when one is set. HTTP transports add
 * `x-request-id` (the spec id, as vLLM and most gateways accept) so server logs can be matched.
 */
export function requestHeaders(context: TransportContext): Record<string, string> {
  const apiKey = context.target.apiKey;
  return {
    "content-type": "application/json",
    ...(apiKey === undefined ? {} : {authorization: `Bearer ${apiKey}`})
  };
}
