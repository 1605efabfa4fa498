/**
 * Command-line flags and their environment variables, following llama-server's and vLLM's names.
 * Owns parsing and validation into a plain config record; `main.ts` acts on it. With `--config`, these
 * engine flags are the defaults of every variant, which may override them with its own fields.
 */
import {homedir} from "node:os";
import {join} from "node:path";
import {Command, InvalidArgumentError, Option, type OptionValues} from "commander";
import {readApiKeyFile} from "./auth/apiKeyAuth.ts";
import type {EngineSettings} from "../engine/createLlamaServedModel.ts";
import type {GpuChoice} from "../engine/model/loadLlama.ts";
import {checkSpeculationOptions, DEFAULT_SPECULATION_LIMITS, type SpeculationMode, type SpeculationOptions} from "../engine/speculationOptions.ts";
import type {SchedulingPolicy, TargetItlMs} from "../scheduler/types.ts";

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** `--model` as given (a GGUF path or synthetic:NAME[:SEED]); undefined: the default model, or a variants file. */
  readonly model: string | undefined;
  /** A variants file (canary routing); conflicts with --model and --model-name. */
  readonly configFile: string | undefined;
  /** Bearer key of the /admin API; undefined: the admin API is off. */
  readonly adminKey: string | undefined;
  readonly modelName: string | undefined;
  /** Every served model's engine settings; a variant's own fields override some of them. */
  readonly engine: ServedModelSettings;
  /** After SIGTERM, how long requests are still admitted while readiness already says "draining". */
  readonly drainDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly apiKeys: readonly string[];
  readonly isObservabilityProtected: boolean;
  readonly corsOrigins: readonly string[] | undefined;
  readonly maxBodyBytes: number;
  readonly logLevel: string;
  /** Export Prometheus metrics at /metrics; off with --no-metrics (to measure their overhead). */
  readonly isMetricsEnabled: boolean;
  /** Put prompts and outputs into the finished-request log lines; off by default (user data). */
  readonly isPromptLogged: boolean;
  /** The Files and Batches API's storage and runner. */
  readonly batch: BatchSettings;
}

/** Batch serving: where files and batches are kept, and how batch requests run. */
export interface BatchSettings {
  /** `--data-dir`: the embedded database's directory. */
  readonly dataDir: string;
  /** `--database-url`: a PostgreSQL server shared by replicas; undefined: the embedded database. */
  readonly databaseUrl: string | undefined;
  /** Most batch requests in one engine at once; Infinity: as many as it has sequences. */
  readonly maxInFlight: number;
  /** Most batch requests in one engine while online requests run there; Infinity: every sequence they leave free. */
  readonly maxBesideOnline: number;
  readonly leaseTimeoutMs: number;
  /** `--max-file-mb`, converted once. */
  readonly maxFileBytes: number;
  readonly maxFiles: number;
}

/** `$XDG_DATA_HOME/inflight`, or `~/.local/share/inflight`: user data that outlives caches and clones. */
export function defaultDataDir(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "inflight");
}

/**
 * The settings of a served model's engine and runtime, one name each from flag to scheduler
 * (`--max-queue` is `maxQueueLength` everywhere, `--prefix-cache-mb` is converted once into
 * `hostPrefixCacheBytes`).
 */
export interface ServedModelSettings extends EngineSettings {
  readonly gpu: GpuChoice;
  /** Undefined: the machine's math cores (always explicit in the end). */
  readonly threads: number | undefined;
  readonly parallel: number;
  readonly ctxSize: number;
  readonly batchSize: number;
  readonly maxQueueLength: number;
  readonly policy: SchedulingPolicy;
  readonly isPreemptionEnabled: boolean;
  /** Bytes of the host-memory prefix tier; 0 turns that tier off. */
  readonly hostPrefixCacheBytes: number;
  readonly isPrefixCachingEnabled: boolean;
  /** Undefined: speculation off. */
  readonly speculation: SpeculationOptions | undefined;
}

function integer(min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`expected an integer >= ${min}, got "${value}"`);
    return parsed;
  };
}

function numberBetween(min: number, max: number) {
  return (value: string): number => {
    const parsed = value.trim() === "" ? Number.NaN : Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got "${value}"`);
    return parsed;
  };
}

function targetItlMs(value: string): TargetItlMs {
  if (value === "auto") return value;
  const parsed = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`expected auto or milliseconds >= 0, got "${value}"`);
  return parsed;
}

function option(flags: string, description: string, env: string) {
  return new Option(flags, description).env(env);
}

export function buildCli(): Command {
  return new Command("inflight")
    .description("OpenAI-compatible LLM server for GGUF models with in-flight continuous batching")
    .addOption(option("--host <host>", "address to listen on", "INFLIGHT_HOST").default("127.0.0.1"))
    .addOption(option("--port <port>", "port to listen on", "INFLIGHT_PORT").default(8080).argParser(integer(0)))
    .addOption(option("-m, --model <model>", "GGUF file path, or synthetic:NAME[:SEED] (tiny, small); default synthetic:tiny", "INFLIGHT_MODEL"))
    .addOption(option("--model-name <name>", "name clients send as `model` (default: file base name or preset name)", "INFLIGHT_MODEL_NAME"))
    .addOption(option("--config <file>", "YAML or JSON file of served models and their variants (canary routing); replaces --model", "INFLIGHT_CONFIG")
      .conflicts(["model", "modelName"]))
    .addOption(option("--admin-key <key>", "Bearer key of the /admin API (canary weights, promote, roll back); off without one", "INFLIGHT_ADMIN_KEY"))
    .addOption(option("--parallel <n>", "sequences decoded together (concurrent requests)", "INFLIGHT_PARALLEL").default(4).argParser(integer(1)))
    .addOption(option("-c, --ctx-size <n>", "tokens per sequence (prompt + output of one request)", "INFLIGHT_CTX_SIZE").default(4096).argParser(integer(16)))
    .addOption(option("-t, --threads <n>", "CPU threads for llama.cpp (default: the machine's math cores)", "INFLIGHT_THREADS").argParser(integer(1)))
    .addOption(option("--gpu <backend>", "GPU backend; auto falls back to CPU", "INFLIGHT_GPU").choices(["auto", "cuda", "metal", "vulkan", "off"]).default("auto"))
    .addOption(option("-b, --batch-size <n>", "most tokens in one llama_decode call", "INFLIGHT_BATCH_SIZE").default(512).argParser(integer(1)))
    .addOption(option("--max-batched-tokens <n>", "token budget of one step (default: the batch size)", "INFLIGHT_MAX_BATCHED_TOKENS").argParser(integer(1)))
    .addOption(option("--target-itl-ms <ms>", "inter-token latency that prefill beside running streams is sized for: milliseconds, auto (twice the measured decode step) or 0 (prefill takes what the token budget leaves)", "INFLIGHT_TARGET_ITL_MS")
      .default("auto").argParser(targetItlMs))
    .addOption(option("--max-queue <n>", "waiting requests beyond this get 429", "INFLIGHT_MAX_QUEUE").default(256).argParser(integer(0)))
    .addOption(option("--policy <policy>", "queue order: fcfs, or priority (the request's `priority`, lower first)", "INFLIGHT_POLICY").choices(["fcfs", "priority"]).default("fcfs"))
    .addOption(option("--prefix-cache-mb <n>", "host-memory tier of the prefix cache: megabytes of saved sequence states (0 = off)", "INFLIGHT_PREFIX_CACHE_MB").default(1024).argParser(integer(0)))
    .addOption(option("--no-prefix-cache", "never reuse cached prefixes: every request prefills in full (to measure the cache)", "INFLIGHT_NO_PREFIX_CACHE"))
    .addOption(option("--draft-model <model>", "draft model for speculative decoding: GGUF path or synthetic:NAME[:SEED] (e.g. synthetic:small-draft); turns speculation on", "INFLIGHT_DRAFT_MODEL"))
    .addOption(option("--speculative <mode>", "speculative decoding: draft (needs --draft-model) or ngram (prompt lookup, no draft model); default: draft with --draft-model, else off", "INFLIGHT_SPECULATIVE")
      .choices(["draft", "ngram"]))
    .addOption(option("--draft-max <n>", "most draft tokens per request per step", "INFLIGHT_DRAFT_MAX").default(DEFAULT_SPECULATION_LIMITS.maxDraftTokens).argParser(integer(1)))
    .addOption(option("--draft-min <n>", "shorter proposals are not verified", "INFLIGHT_DRAFT_MIN").default(DEFAULT_SPECULATION_LIMITS.minDraftTokens).argParser(integer(0)))
    .addOption(option("--draft-p-min <p>", "the draft model stops drafting when its top token is less likely than this", "INFLIGHT_DRAFT_P_MIN")
      .default(DEFAULT_SPECULATION_LIMITS.minDraftProbability).argParser(numberBetween(0, 1)))
    .addOption(option("--no-draft-adaptive", "always draft --draft-max tokens, whatever the batch size and the measured speed (to measure the adaptive rule)", "INFLIGHT_NO_DRAFT_ADAPTIVE"))
    .addOption(option("--api-key <key>", "require Authorization: Bearer <key> on /v1/*", "INFLIGHT_API_KEY"))
    .addOption(option("--api-key-file <file>", "file of accepted API keys, one per line (# comments)", "INFLIGHT_API_KEY_FILE"))
    .addOption(option("--protect-observability", "with API keys: also protect /health, /ready and /metrics", "INFLIGHT_PROTECT_OBSERVABILITY"))
    .addOption(option("--cors-origin <origins>", "comma-separated origins allowed by CORS, or * (default: CORS off)", "INFLIGHT_CORS_ORIGIN"))
    .addOption(option("--max-body <bytes>", "largest request body (and websocket message) accepted", "INFLIGHT_MAX_BODY").default(4 * 1024 * 1024).argParser(integer(1024)))
    .addOption(option("--drain-delay <seconds>", "on SIGTERM, how long /ready answers 503 while requests are still admitted, so load balancers stop sending first", "INFLIGHT_DRAIN_DELAY")
      .default(5).argParser(integer(0)))
    .addOption(option("--shutdown-timeout <seconds>", "on SIGTERM/SIGINT, how long running requests may finish before they are ended", "INFLIGHT_SHUTDOWN_TIMEOUT").default(30).argParser(integer(0)))
    .addOption(option("--preempt", "with --policy priority: pause the worst running request for a better waiting one (it resumes later)", "INFLIGHT_PREEMPT"))
    .addOption(option("--request-timeout <seconds>", "end requests unfinished this long after arrival (waiting: 504; running: what they have); 0 = none", "INFLIGHT_REQUEST_TIMEOUT").default(0).argParser(integer(0)))
    .addOption(option("--log-level <level>", "fatal, error, warn, info, debug", "INFLIGHT_LOG_LEVEL").default("info"))
    .addOption(option("--log-prompts", "write prompts and outputs into the per-request log lines (user data: off by default)", "INFLIGHT_LOG_PROMPTS"))
    .addOption(option("--no-metrics", "serve no /metrics and count nothing (to measure the metrics' overhead)", "INFLIGHT_NO_METRICS"))
    .addOption(option("--data-dir <dir>", "where the embedded database keeps files and batches (default: $XDG_DATA_HOME/inflight or ~/.local/share/inflight)", "INFLIGHT_DATA_DIR"))
    .addOption(option("--database-url <url>", "postgres://... : keep files and batches in a PostgreSQL server shared by replicas instead", "INFLIGHT_DATABASE_URL"))
    .addOption(option("--batch-max-in-flight <n>", "most batch requests in one engine at once (default: its --parallel)", "INFLIGHT_BATCH_MAX_IN_FLIGHT").argParser(integer(1)))
    .addOption(option("--batch-max-beside-online <n>", "most batch requests in one engine while online requests run there (default 0: batches fill idle capacity only)", "INFLIGHT_BATCH_MAX_BESIDE_ONLINE")
      .default(0).argParser(integer(0)))
    .addOption(option("--batch-lease-timeout <seconds>", "a replica silent this long loses its claimed batch requests to the others", "INFLIGHT_BATCH_LEASE_TIMEOUT").default(30).argParser(integer(1)))
    .addOption(option("--max-file-mb <n>", "largest uploaded file (POST /v1/files), in MiB", "INFLIGHT_MAX_FILE_MB").default(200).argParser(integer(1)))
    .addOption(option("--max-files <n>", "uploaded files kept at once", "INFLIGHT_MAX_FILES").default(1000).argParser(integer(1)));
}

/** How the speculation flags are spelled, for the messages of contradictions. */
const SPECULATION_FLAGS = {draftModel: "--draft-model", mode: "--speculative", minDraftTokens: "--draft-min", maxDraftTokens: "--draft-max"};

/** The speculation flags once checked against each other; undefined when speculation is off. Throws an Error with one line otherwise. */
function toSpeculationOptions(o: Record<string, unknown>): SpeculationOptions | undefined {
  const draftModel = typeof o.draftModel === "string" && o.draftModel.length > 0 ? o.draftModel : undefined;
  const mode = (o.speculative as SpeculationMode | undefined) ?? (draftModel === undefined ? undefined : "draft");
  const limits = {maxDraftTokens: o.draftMax as number, minDraftTokens: o.draftMin as number, minDraftProbability: o.draftPMin as number, isAdaptive: o.draftAdaptive !== false};
  if (mode === undefined) {
    checkSpeculationOptions({mode: "ngram", draftModel: undefined, ...limits}, SPECULATION_FLAGS);
    return undefined;
  }
  const options = {mode, draftModel, ...limits};
  checkSpeculationOptions(options, SPECULATION_FLAGS);
  return options;
}

function toServedModelSettings(o: OptionValues): ServedModelSettings {
  return {
    gpu: o.gpu,
    threads: o.threads,
    parallel: o.parallel,
    ctxSize: o.ctxSize,
    batchSize: o.batchSize,
    maxNumBatchedTokens: o.maxBatchedTokens,
    targetItlMs: o.targetItlMs,
    maxQueueLength: o.maxQueue,
    policy: o.policy,
    isPreemptionEnabled: o.preempt === true,
    requestTimeoutMs: o.requestTimeout > 0 ? o.requestTimeout * 1000 : undefined,
    hostPrefixCacheBytes: o.prefixCache === false ? 0 : o.prefixCacheMb * 1024 * 1024,
    isPrefixCachingEnabled: o.prefixCache !== false,
    speculation: toSpeculationOptions(o)
  };
}

/**
 * Parses argv (without node and script) into a config. Commander exits with a message on a bad flag;
 * a contradiction between flags throws an Error with a one-line message.
 */
export function parseConfig(argv: readonly string[]): ServerConfig {
  const cli = buildCli();
  cli.parse([...argv], {from: "user"});
  const o = cli.opts();
  return {
    host: o.host,
    port: o.port,
    model: o.model,
    configFile: o.config,
    adminKey: typeof o.adminKey === "string" && o.adminKey.length > 0 ? o.adminKey : undefined,
    modelName: o.modelName,
    engine: toServedModelSettings(o),
    drainDelayMs: o.drainDelay * 1000,
    shutdownTimeoutMs: o.shutdownTimeout * 1000,
    apiKeys: [...(o.apiKey ? [o.apiKey as string] : []), ...(o.apiKeyFile ? readApiKeyFile(o.apiKeyFile) : [])],
    isObservabilityProtected: o.protectObservability === true,
    corsOrigins: o.corsOrigin ? String(o.corsOrigin).split(",").map((origin) => origin.trim()).filter(Boolean) : undefined,
    maxBodyBytes: o.maxBody,
    logLevel: o.logLevel,
    isMetricsEnabled: o.metrics !== false,
    isPromptLogged: o.logPrompts === true,
    batch: toBatchSettings(o)
  };
}

function toBatchSettings(o: OptionValues): BatchSettings {
  const databaseUrl = typeof o.databaseUrl === "string" && o.databaseUrl.length > 0 ? o.databaseUrl : undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error(`--database-url must start with postgres:// or postgresql://, got "${databaseUrl}"`);
  return {
    dataDir: typeof o.dataDir === "string" && o.dataDir.length > 0 ? o.dataDir : defaultDataDir(),
    databaseUrl,
    maxInFlight: o.batchMaxInFlight ?? Number.POSITIVE_INFINITY,
    maxBesideOnline: o.batchMaxBesideOnline,
    leaseTimeoutMs: o.batchLeaseTimeout * 1000,
    maxFileBytes: o.maxFileMb * 1024 * 1024,
    maxFiles: o.maxFiles
  };
}
