/**
 * The size limits of a completion request, in one place so the README, the schemas and the tests
 * agree. Each one bounds work the server does before the engine sees the request (parsing,
 * tokenizing, stop matching per token) or memory a request can pin, well above what a real client
 * sends. The body size (`bodyLimit`, 4 MiB) bounds the whole; these bound its parts. Limits that
 * depend on the model (the prompt fitting the context, `max_tokens` capped by it) are the engine's.
 * Owns the numbers only; the schemas apply them.
 */

/** Messages in one chat request; OpenAI's own limit. */
export const MAX_MESSAGES = 2048;

/** Text parts in one message's `content` array. */
export const MAX_CONTENT_PARTS = 256;

/**
 * Characters of prompt text in one request: a chat request's message texts together, or a completion
 * `prompt`. About 250k tokens of English, beyond any context served here; it caps how long the
 * (synchronous) tokenizer can hold the event loop for one request.
 */
export const MAX_PROMPT_CHARS = 1024 * 1024;

/** Stop strings in one request, as OpenAI documents it (4) raised to vLLM's practice. */
export const MAX_STOP_SEQUENCES = 16;

/** Characters of one stop string: the stop matcher holds back and rescans up to this much per token. */
export const MAX_STOP_CHARS = 256;

/** Characters of the short identifying strings: `model`, `user`, a message's `name`. */
export const MAX_NAME_CHARS = 256;

/** Choices per request (`n`), before the served model's own limit (its sequences) applies. */
export const MAX_N = 128;
