/**
 * The records of the load generator: the resolved configuration, the requests it sends, what it
 * measured for each, and the report it hands back. Plain data only, so a report round-trips through
 * JSON unchanged. Defaults and validation live in `config.ts`; arithmetic lives in `stats.ts` and
 * `figures.ts`; nothing here does I/O.
 *
 * Times are milliseconds. Latencies are measured with `performance.now()` on the client:
 *
 *   send ──── role chunk ──── content #1 ──── content #2 ── ... ── content #k ── [DONE]
 *   |<------------ TTFT ------------>|<- ITL ->|              ...            |
 *   |<------------------------------------ E2E ---------------------------------->|
 *   TPOT = (E2E - TTFT) / (output tokens - 1)
 */

/** How requests travel: OpenAI SSE, our websocket protocol, or one plain JSON response. */
export type TransportKind = "sse" | "ws" | "nonstream";

/** Which OpenAI endpoint receives the requests. */
export type EndpointKind = "chat" | "completions";

/** Where request content comes from. */
export type DatasetKind = "random" | "chat" | "jsonl";

/**
 * Where each conversation's id travels, so that a load balancer keeps the conversation on one
 * replica: the `x-session-id` header (inflight's session key, hashed by the configs in deploy/) or
 * the body's OpenAI `user` field.
 */
export type SessionKeyKind = "header" | "user";

/** tiktoken encodings the bench can count with. */
export type TokenizerEncoding = "gpt2" | "r50k_base" | "p50k_base" | "cl100k_base" | "o200k_base";

/** One server under test. */
export interface TargetConfig {
  /** Base URL, e.g. `http://127.0.0.1:8080`; paths such as `/v1/chat/completions` are appended. */
  readonly url: string;
  /**
   * Value of the `model` field of every request. Absent: the first model the server lists at
   * `GET /v1/models`, asked once before the run (the report's configuration then names it).
   */
  readonly model?: string;
  /** Sent as `Authorization: Bearer <key>` when set. */
  readonly apiKey?: string;
}

/** A target whose model is known: where requests go. */
export interface ServedTarget extends TargetConfig {
  readonly model: string;
}

/** Limits a request must meet to count toward goodput; an absent limit is not checked. */
export interface SloConfig {
  readonly ttftMs?: number;
  readonly tpotMs?: number;
  readonly e2eMs?: number;
}

/**
 * The load to offer. Closed loop keeps `levels[i]` requests in flight; open loop sends requests at
 * Poisson arrival times with mean rate `levels[i]` per second (`Infinity`: all at once).
 */
export type WorkloadConfig =
  | {readonly kind: "concurrency"; readonly levels: readonly number[]}
  | {readonly kind: "rate"; readonly levels: readonly number[]};

/** Content and sizes of the requests. */
export interface DatasetConfig {
  readonly kind: DatasetKind;
  /** Prompt length in tokens (random: whole prompt; chat: each user message). */
  readonly inputLen: number;
  /** Output length in tokens, sent as `max_tokens` (and `ignore_eos`). */
  readonly outputLen: number;
  /** Relative spread of both lengths: each is drawn uniformly from `len * [1 - spread, 1 + spread]`. */
  readonly lenSpread: number;
  /** Chat: tokens of the system prompt shared by every conversation. */
  readonly systemLen: number;
  /** Chat: user turns per conversation; turn k+1 is sent only after turn k has completed. */
  readonly turns: number;
  /**
   * Chat: the history's assistant turns are the server's own replies, as chat clients send them
   * (servers A and B then see different histories of the same lengths). False: synthetic text, so
   * every server receives identical requests. Default false.
   */
  readonly isReplyReplayed?: boolean;
  /** JSONL: path of a file holding one chat request body per line. */
  readonly file?: string;
}

/** The whole configuration of a run, every default filled in. Stored verbatim in the report. */
export interface BenchConfig {
  readonly target: TargetConfig;
  /** Second server, run in alternating rounds A, B, A, B with the same requests. */
  readonly compare?: TargetConfig;
  readonly transport: TransportKind;
  readonly endpoint: EndpointKind;
  readonly workload: WorkloadConfig;
  /** Requests per round (closed loop: total; open loop: cap on arrivals). */
  readonly numRequests: number;
  /** Stops issuing new requests after this long in a round; in-flight ones still finish. */
  readonly durationMs?: number;
  /** Rounds per server and level; with `compare` the order is A, B, A, B, ... */
  readonly rounds: number;
  /** Unmeasured requests sent together to each server before its first round (connections, JIT). */
  readonly warmupRequests: number;
  readonly dataset: DatasetConfig;
  /** Adds `ignore_eos: true` so servers that support it produce exactly `max_tokens`. */
  readonly isIgnoreEos: boolean;
  /** Chat dataset: sends each conversation's id this way; absent: no session key at all. */
  readonly sessionKey?: SessionKeyKind;
  /**
   * OpenAI's `response_format` sent with every request (e.g. a `json_schema`), to measure constrained
   * decoding; `ignore_eos` is then left out, since a finished grammar allows only end-of-generation.
   */
  readonly responseFormat?: Readonly<Record<string, unknown>>;
  /** Fields added to every request body (e.g. `{"logprobs": true}`); the bench's own fields win. */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  readonly temperature: number;
  /** Root of every random choice: same seed, same requests. */
  readonly seed: number;
  /** Encoding used to count tokens when the server sends no `usage`. */
  readonly tokenizer: TokenizerEncoding;
  readonly slo?: SloConfig;
  /** Per-request limit; past it the request is aborted and counted as a `timeout` failure. */
  readonly timeoutMs: number;
  /** Scrapes `{url}{metricsPath}` around each round and reports counter deltas. */
  readonly isMetricsEnabled: boolean;
  readonly metricsPath: string;
  /** Keeps every request's raw measurements in the report. */
  readonly isPerRequestKept: boolean;
}

/** A configuration whose targets name their model: what a run uses and its report records. */
export interface RunConfig extends BenchConfig {
  readonly target: ServedTarget;
  readonly compare?: ServedTarget;
}

/** One message of a chat request. */
export interface ChatMessage {
  readonly role: "system" | "user" | "assistant" | "tool" | "developer";
  readonly content: string;
}

/** One request to send, independent of server and transport. */
export interface RequestSpec {
  /** Unique within a run (`L<level>R<round>-` prefix); sent as `x-request-id` and websocket `request_id`. */
  readonly id: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens: number;
  /** Prompt tokens by the bench's tokenizer; the server's `usage` wins when present. */
  readonly estimatedPromptTokens: number;
  /** Sent as `seed` so sampling is reproducible too. */
  readonly seed: number;
  /** The conversation it belongs to (chat dataset), unique within the run; sent as `sessionKey` says. */
  readonly sessionId?: string;
  /** Id of the request that must complete before this one is sent (the previous turn). */
  readonly dependsOn?: string;
  /** Assistant messages (by index in `messages`) to replace with the reply of the request `turnId`, once it has one. */
  readonly replies?: readonly {readonly messageIndex: number; readonly turnId: string}[];
  /** A later request replays this one's reply: the driver hands its text to the queue. */
  readonly isReplyKept?: boolean;
  /** Extra body fields from a JSONL line, sent unchanged. */
  readonly extraBody?: Readonly<Record<string, unknown>>;
}

/**
 * Why a request failed. `http_<status>` for non-2xx answers; `connection` for refused, reset or
 * dropped sockets; `timeout` past `timeoutMs`; `malformed` for bodies or events that do not parse;
 * `server_error` for an error object inside a 2xx stream; `incomplete` for a stream that ended
 * without `[DONE]` or a finish reason.
 */
export type FailureType =
  | `http_${number}`
  | "connection"
  | "timeout"
  | "malformed"
  | "server_error"
  | "incomplete"
  | "aborted";

/** Where a token count came from. */
export type TokenCountSource = "usage" | "tokenizer";

/** What was measured for one request. */
export interface RequestResult {
  readonly id: string;
  readonly isSuccess: boolean;
  readonly failure?: {readonly type: FailureType; readonly message: string};
  /** Send time relative to the start of the round. */
  readonly startMs: number;
  /** Absent when no content arrived. For non-streaming requests TTFT equals E2E. */
  readonly ttftMs?: number;
  readonly e2eMs: number;
  /** Gap between successive content chunks; a chunk may carry more than one token. */
  readonly itlMs: readonly number[];
  /** Absent when fewer than two output tokens. */
  readonly tpotMs?: number;
  readonly outputTokens: number;
  readonly outputTokensSource: TokenCountSource;
  readonly promptTokens: number;
  readonly promptTokensSource: TokenCountSource;
  /** Chunks with non-empty content; `outputTokens / contentChunks` tokens per chunk. */
  readonly contentChunks: number;
  /**
   * Present (true) when the server closed the pooled keep-alive connection under the request
   * before any byte of a response, and the request was re-sent once on a fresh connection. Its
   * times count from the re-send: the first attempt never reached the server.
   */
  readonly isRetriedOnFreshConnection?: boolean;
  /** The reply's text, only for specs with `isReplyKept` (the drivers take it out of the results). */
  readonly replyText?: string;
}

/** mean, median and percentiles of one latency, in ms. Percentiles interpolate linearly. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/** Requests meeting every SLO, as a rate and a fraction of all requests sent. */
export interface GoodputFigures {
  readonly slo: SloConfig;
  readonly goodRequests: number;
  readonly requestsPerSecond: number;
  readonly fraction: number;
}

/** Every figure for one server at one load level, pooled over its rounds. */
export interface ServerFigures {
  readonly label: "A" | "B";
  readonly url: string;
  readonly rounds: number;
  readonly sent: number;
  readonly completed: number;
  readonly failed: number;
  readonly failuresByType: Readonly<Partial<Record<FailureType, number>>>;
  /**
   * Requests re-sent once on a fresh connection because the server had closed their pooled
   * keep-alive connection before answering; each still counts once in `sent`, and under its
   * failure type if the re-send failed too.
   */
  readonly numRetriedOnFreshConnection: number;
  /** Sum of round durations: first send to last completion. */
  readonly durationMs: number;
  readonly requestThroughput: number;
  readonly outputTokenThroughput: number;
  readonly totalTokenThroughput: number;
  readonly totalPromptTokens: number;
  readonly totalOutputTokens: number;
  /** Successful requests whose output tokens were counted by the bench (the server sent no usage). */
  readonly tokenizerCountedRequests: number;
  /** Output tokens per content chunk: above 1 when a server packs several tokens in a chunk. */
  readonly meanTokensPerChunk: number | null;
  readonly ttftMs: LatencySummary | null;
  readonly itlMs: LatencySummary | null;
  readonly tpotMs: LatencySummary | null;
  readonly e2eMs: LatencySummary | null;
  readonly goodput: GoodputFigures | null;
  /** Counter deltas from the server's `/metrics`, summed over rounds; null when not exposed. */
  readonly serverMetrics: Readonly<Record<string, number>> | null;
}

/** B / A for the figures worth comparing; null where A is zero or either is missing. */
export interface FigureRatios {
  readonly requestThroughput: number | null;
  readonly outputTokenThroughput: number | null;
  readonly totalTokenThroughput: number | null;
  readonly goodputRequestsPerSecond: number | null;
  readonly ttftMs: LatencyRatios;
  readonly itlMs: LatencyRatios;
  readonly tpotMs: LatencyRatios;
  readonly e2eMs: LatencyRatios;
}

/** B / A of each statistic of one latency. */
export interface LatencyRatios {
  readonly mean: number | null;
  readonly median: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}

/** One round as it ran, in order; shows the A, B, A, B alternation. */
export interface RoundRecord {
  readonly label: "A" | "B";
  readonly level: number;
  readonly round: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly sent: number;
  readonly completed: number;
  readonly requests?: readonly RequestResult[];
}

/** Figures at one concurrency or rate. */
export interface LevelReport {
  readonly level: number;
  readonly servers: readonly ServerFigures[];
  /** Present with a compare target. */
  readonly ratios?: FigureRatios;
}

/** What `runLoad` returns and `--json` writes. */
export interface BenchReport {
  readonly config: RunConfig;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly levelKind: WorkloadConfig["kind"];
  readonly levels: readonly LevelReport[];
  readonly rounds: readonly RoundRecord[];
  readonly notes: readonly string[];
}
