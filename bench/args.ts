/**
 * The command line of `npm run bench`: commander declares the options and turns text into values
 * (seconds to ms, lists, SLO specs); `resolveConfig` then checks and completes the configuration.
 * Parsing never exits the process: errors and `--help` come back as a thrown `CommanderError`, so
 * the CLI decides the exit code and tests can call it. Running the bench is `cli.ts`'s job.
 */
import {Command, InvalidArgumentError, Option} from "commander";
import {readFileSync} from "node:fs";
import {BenchConfigError, DEFAULTS, TOKENIZER_ENCODINGS, resolveConfig, type BenchConfigInput} from "./config.ts";
import type {BenchConfig, DatasetKind, EndpointKind, SessionKeyKind, SloConfig, TokenizerEncoding, TransportKind} from "./types.ts";

/** What the command line asks for: the run's configuration and what to do with the report. */
export interface CliArgs {
  readonly config: BenchConfig;
  readonly jsonPath?: string;
  readonly chartPath?: string;
  readonly isQuiet: boolean;
}

/** Where commander writes help and errors; the real streams by default. */
export interface CliOutput {
  readonly writeOut: (text: string) => void;
  readonly writeErr: (text: string) => void;
}

/** The commander program; exported so the CLI and tests share one definition and one help text. */
export function buildCommand(output?: CliOutput): Command {
  const command = new Command("bench")
    .description("Load generator for OpenAI-compatible servers: latency, throughput and goodput, optionally A/B.")
    .requiredOption("--url <url>", "base URL of the server under test, e.g. http://127.0.0.1:8080")
    .option("--model <name>", "model name sent in every request (default: the server's first model at GET /v1/models)")
    .option("--api-key <key>", "sent as Authorization: Bearer <key> (never written to --json)")
    .option("--compare-url <url>", "second server: rounds alternate A, B, A, B and the report shows B/A ratios")
    .option("--compare-model <name>", "model name for the compare server (default: --model, else its first model at GET /v1/models)")
    .option("--compare-api-key <key>", "API key for the compare server (default: --api-key)")
    .addOption(new Option("--transport <kind>", "how requests travel").choices(["sse", "ws", "nonstream"]).default(DEFAULTS.transport))
    .addOption(new Option("--endpoint <kind>", "which endpoint").choices(["chat", "completions"]).default(DEFAULTS.endpoint))
    .addOption(
      new Option("--concurrency <list>", "closed loop: requests kept in flight, one row per level, e.g. 1,4,8,16")
        .argParser(parseIntList)
        .conflicts("requestRate")
    )
    .option("--request-rate <list>", "open loop: Poisson arrivals per second, one row per rate, e.g. 2,4,8 or inf", parseRateList)
    .option("--num-requests <n>", `requests per round (default ${DEFAULTS.numRequests}; ${DEFAULTS.numRequestsWithDuration} with --duration)`, parsePositiveInt)
    .option("--duration <seconds>", "stop sending after this long in each round", parsePositiveNumber)
    .option("--rounds <n>", `rounds per server and level (default ${DEFAULTS.rounds}, ${DEFAULTS.compareRounds} with --compare-url)`, parsePositiveInt)
    .option("--warmup <n>", "unmeasured requests sent to each server first", parseNonNegativeInt, DEFAULTS.warmupRequests)
    .addOption(new Option("--dataset <kind>", "request content").choices(["random", "chat", "jsonl"]).default("random"))
    .option("--input-len <n>", "prompt tokens (chat: per user turn)", parsePositiveInt, DEFAULTS.inputLen)
    .option("--output-len <n>", "output tokens, sent as max_tokens", parsePositiveInt, DEFAULTS.outputLen)
    .option("--len-spread <fraction>", "lengths drawn uniformly from len * [1 - f, 1 + f]", parseNumber, DEFAULTS.lenSpread)
    .option("--system-len <n>", "chat: tokens of the system prompt shared by all conversations", parseNonNegativeInt, DEFAULTS.systemLen)
    .option("--turns <n>", "chat: turns per conversation", parsePositiveInt, DEFAULTS.turns)
    .addOption(new Option("--session-key <where>", "chat: send each conversation's id as the x-session-id header or the body's user, so a load balancer keeps it on one replica").choices(["header", "user"]))
    .option("--replay-replies", "chat: put the server's own replies into the history, as chat clients do (default: synthetic text, identical for every server)")
    .option("--file <path>", "jsonl: one chat request body per line")
    .option("--no-ignore-eos", "do not send ignore_eos: true (outputs may end before max_tokens)")
    .option("--response-format <file>", "JSON file holding a response_format object sent with every request (then no ignore_eos)")
    .option("--extra-body <json>", "fields added to every request body, e.g. '{\"logprobs\": true, \"top_logprobs\": 5}'", parseJsonObject)
    .option("--temperature <t>", "sampling temperature", parseNumber, DEFAULTS.temperature)
    .option("--seed <n>", "seed of every random choice: same seed, same requests", parseNonNegativeInt, DEFAULTS.seed)
    .addOption(
      new Option("--tokenizer <encoding>", "tiktoken encoding counting tokens when the server sends no usage")
        .choices(TOKENIZER_ENCODINGS)
        .default(DEFAULTS.tokenizer)
    )
    .option("--slo <spec>", "goodput limits in ms, e.g. ttft:500,tpot:50 (also e2e)", parseSlo)
    .option("--timeout <seconds>", "per-request limit; past it the request counts as a timeout", parsePositiveNumber, DEFAULTS.timeoutMs / 1000)
    .option("--no-metrics", "do not scrape the server's Prometheus metrics")
    .option("--metrics-path <path>", "path of the Prometheus metrics", DEFAULTS.metricsPath)
    .option("--json <file>", "write every figure and the exact configuration as JSON")
    .option("--json-requests", "also keep each request's measurements in --json")
    .option("--chart <file>", "write an SVG chart of throughput, TTFT and TPOT against the levels")
    .option("--quiet", "no progress output")
    .exitOverride()
    .showHelpAfterError(false);
  if (output !== undefined) command.configureOutput(output);
  return command;
}

/**
 * Parses command-line arguments (without `node` and the script path).
 * @throws CommanderError on unknown or invalid options and after printing `--help`.
 * @throws BenchConfigError when the values are inconsistent.
 */
export function parseBenchArgs(argv: readonly string[], output?: CliOutput): CliArgs {
  const command = buildCommand(output);
  command.parse([...argv], {from: "user"});
  const options = command.opts<Record<string, unknown>>();
  const text = (key: string): string | undefined => options[key] as string | undefined;
  const number = (key: string): number | undefined => options[key] as number | undefined;
  const apiKey = text("apiKey");
  const compareUrl = text("compareUrl");
  const compareApiKey = text("compareApiKey") ?? apiKey;
  const rates = options["requestRate"] as number[] | undefined;
  const duration = number("duration");
  const input: BenchConfigInput = {
    target: {url: text("url") ?? "", ...optional("model", text("model")), ...(apiKey === undefined ? {} : {apiKey})},
    ...(compareUrl === undefined
      ? {}
      : {
          compare: {
            url: compareUrl,
            ...optional("model", text("compareModel") ?? text("model")),
            ...(compareApiKey === undefined ? {} : {apiKey: compareApiKey})
          }
        }),
    transport: text("transport") as TransportKind,
    endpoint: text("endpoint") as EndpointKind,
    workload:
      rates === undefined
        ? {kind: "concurrency", levels: (options["concurrency"] as number[] | undefined) ?? DEFAULTS.concurrency}
        : {kind: "rate", levels: rates},
    ...optional("numRequests", number("numRequests")),
    ...optional("durationMs", duration === undefined ? undefined : duration * 1000),
    ...optional("rounds", number("rounds")),
    warmupRequests: number("warmup") ?? DEFAULTS.warmupRequests,
    dataset: {
      kind: text("dataset") as DatasetKind,
      inputLen: number("inputLen") ?? DEFAULTS.inputLen,
      outputLen: number("outputLen") ?? DEFAULTS.outputLen,
      lenSpread: number("lenSpread") ?? DEFAULTS.lenSpread,
      systemLen: number("systemLen") ?? DEFAULTS.systemLen,
      turns: number("turns") ?? DEFAULTS.turns,
      ...(options["replayReplies"] === true ? {isReplyReplayed: true} : {}),
      ...optional("file", text("file"))
    },
    isIgnoreEos: options["ignoreEos"] !== false,
    ...optional("sessionKey", text("sessionKey") as SessionKeyKind | undefined),
    ...optional("responseFormat", readResponseFormat(text("responseFormat"))),
    ...optional("extraBody", options["extraBody"] as Record<string, unknown> | undefined),
    temperature: number("temperature") ?? DEFAULTS.temperature,
    seed: number("seed") ?? DEFAULTS.seed,
    tokenizer: text("tokenizer") as TokenizerEncoding,
    ...optional("slo", options["slo"] as SloConfig | undefined),
    timeoutMs: (number("timeout") ?? DEFAULTS.timeoutMs / 1000) * 1000,
    isMetricsEnabled: options["metrics"] !== false,
    metricsPath: text("metricsPath") ?? DEFAULTS.metricsPath,
    isPerRequestKept: options["jsonRequests"] === true
  };
  return {
    config: resolveConfig(input),
    ...optional("jsonPath", text("json")),
    ...optional("chartPath", text("chart")),
    isQuiet: options["quiet"] === true
  };
}

/** Parses `ttft:500,tpot:50,e2e:10000` (milliseconds). */
export function parseSlo(text: string): SloConfig {
  const slo: {ttftMs?: number; tpotMs?: number; e2eMs?: number} = {};
  for (const part of text.split(",")) {
    const [name, value, ...rest] = part.split(":").map((piece) => piece.trim());
    const ms = Number(value);
    if (rest.length > 0 || value === undefined || value === "" || !(ms > 0)) {
      throw new InvalidArgumentError(`expected name:milliseconds, got "${part}"`);
    }
    if (name === "ttft") slo.ttftMs = ms;
    else if (name === "tpot") slo.tpotMs = ms;
    else if (name === "e2e" || name === "e2el") slo.e2eMs = ms;
    else throw new InvalidArgumentError(`unknown SLO "${name}" (ttft, tpot or e2e)`);
  }
  return slo;
}

function optional<K extends string, V>(key: K, value: V | undefined): {[P in K]?: V} {
  return (value === undefined ? {} : {[key]: value}) as {[P in K]?: V};
}

function parseIntList(text: string): number[] {
  return text.split(",").map((part) => parsePositiveInt(part.trim()));
}

function parseRateList(text: string): number[] {
  return text.split(",").map((part) => {
    const trimmed = part.trim().toLowerCase();
    return trimmed === "inf" || trimmed === "infinity" ? Infinity : parsePositiveNumber(trimmed);
  });
}

function parseNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new InvalidArgumentError(`not a number: "${text}"`);
  return value;
}

function parsePositiveNumber(text: string): number {
  const value = parseNumber(text);
  if (value <= 0) throw new InvalidArgumentError(`must be positive: "${text}"`);
  return value;
}

function parsePositiveInt(text: string): number {
  const value = parseNumber(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`must be an integer >= 1: "${text}"`);
  return value;
}

function parseNonNegativeInt(text: string): number {
  const value = parseNumber(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError(`must be an integer >= 0: "${text}"`);
  return value;
}

/** The `response_format` object in a JSON file; undefined without a file. Throws BenchConfigError when unusable. */
function readResponseFormat(path: string | undefined): Readonly<Record<string, unknown>> | undefined {
  if (path === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new BenchConfigError("responseFormat", `cannot read ${path} as JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || typeof (value as {type?: unknown}).type !== "string") {
    throw new BenchConfigError("responseFormat", `${path} must hold a response_format object, e.g. {"type": "json_object"}`);
  }
  return value as Record<string, unknown>;
}

/** A JSON object given on the command line. */
function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`not JSON: ${text}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidArgumentError("expected a JSON object");
  return value as Record<string, unknown>;
}
