/**
 * Defaults and validation for a bench configuration. `resolveConfig` turns the partial object a
 * scenario script or the CLI builds into a complete `BenchConfig`, or throws `BenchConfigError`
 * naming the offending field. A resolved config is also valid input, so `runLoad(report.config)`
 * repeats a run exactly. Parsing command-line text is `args.ts`'s job, not this file's.
 */
import type {BenchConfig, DatasetConfig, SessionKeyKind, TargetConfig, TokenizerEncoding} from "./types.ts";

/** What a caller must give: a target's URL; everything else has a default or is asked of the server. */
export type BenchConfigInput = {readonly target: TargetConfig} & Partial<Omit<BenchConfig, "target" | "dataset">> & {
  readonly dataset?: Partial<DatasetConfig>;
};

/** A configuration that cannot run; `field` names the culprit. */
export class BenchConfigError extends Error {
  constructor(
    readonly field: string,
    message: string
  ) {
    super(`${field}: ${message}`);
    this.name = "BenchConfigError";
  }
}

/** Encodings tiktoken ships that make sense for counting output text. */
export const TOKENIZER_ENCODINGS: readonly TokenizerEncoding[] = [
  "gpt2",
  "r50k_base",
  "p50k_base",
  "cl100k_base",
  "o200k_base"
];

/** Defaults, in one place so the CLI help can show them. */
export const DEFAULTS = {
  transport: "sse",
  endpoint: "chat",
  concurrency: [1],
  numRequests: 100,
  /** With a duration the duration is the limit; this cap only keeps a round bounded. */
  numRequestsWithDuration: 10_000,
  rounds: 1,
  compareRounds: 2,
  warmupRequests: 1,
  inputLen: 128,
  outputLen: 128,
  lenSpread: 0,
  systemLen: 256,
  turns: 4,
  temperature: 0,
  seed: 0,
  tokenizer: "cl100k_base",
  timeoutMs: 300_000,
  metricsPath: "/metrics"
} as const;

/**
 * Fills defaults and checks every field.
 * @throws BenchConfigError when a field is missing, out of range or inconsistent with another.
 */
export function resolveConfig(input: BenchConfigInput): BenchConfig {
  const target = resolveTarget("target", input.target);
  const compare = input.compare === undefined ? undefined : resolveTarget("compare", input.compare);
  const transport = input.transport ?? DEFAULTS.transport;
  if (!["sse", "ws", "nonstream"].includes(transport)) {
    throw new BenchConfigError("transport", `must be sse, ws or nonstream, got ${String(transport)}`);
  }
  const endpoint = input.endpoint ?? DEFAULTS.endpoint;
  if (!["chat", "completions"].includes(endpoint)) {
    throw new BenchConfigError("endpoint", `must be chat or completions, got ${String(endpoint)}`);
  }
  if (transport === "ws" && endpoint !== "chat") {
    throw new BenchConfigError("endpoint", "the websocket transport only serves chat completions");
  }
  const workload = input.workload ?? {kind: "concurrency", levels: DEFAULTS.concurrency};
  if (workload.levels.length === 0) throw new BenchConfigError("workload", "needs at least one level");
  for (const level of workload.levels) {
    const isValid =
      workload.kind === "concurrency" ? Number.isInteger(level) && level >= 1 : level > 0 && !Number.isNaN(level);
    if (!isValid) throw new BenchConfigError("workload", `invalid ${workload.kind} level ${level}`);
  }
  const dataset = resolveDataset(input.dataset ?? {});
  const tokenizer = input.tokenizer ?? DEFAULTS.tokenizer;
  if (!TOKENIZER_ENCODINGS.includes(tokenizer)) {
    throw new BenchConfigError("tokenizer", `must be one of ${TOKENIZER_ENCODINGS.join(", ")}`);
  }
  const slo = input.slo;
  if (slo !== undefined) {
    for (const [key, value] of Object.entries(slo)) {
      if (value !== undefined) positive(`slo.${key}`, value);
    }
  }
  const durationMs = input.durationMs;
  if (durationMs !== undefined) positive("durationMs", durationMs);
  const sessionKey = resolveSessionKey(input, transport, dataset);
  const metricsPath = input.metricsPath ?? DEFAULTS.metricsPath;
  if (!metricsPath.startsWith("/")) throw new BenchConfigError("metricsPath", "must start with /");
  return {
    target,
    ...(compare === undefined ? {} : {compare}),
    transport,
    endpoint,
    workload: {kind: workload.kind, levels: [...workload.levels]},
    numRequests: positiveInt(
      "numRequests",
      input.numRequests ?? (durationMs === undefined ? DEFAULTS.numRequests : DEFAULTS.numRequestsWithDuration)
    ),
    ...(durationMs === undefined ? {} : {durationMs}),
    rounds: positiveInt("rounds", input.rounds ?? (compare === undefined ? DEFAULTS.rounds : DEFAULTS.compareRounds)),
    warmupRequests: nonNegativeInt("warmupRequests", input.warmupRequests ?? DEFAULTS.warmupRequests),
    dataset,
    isIgnoreEos: input.isIgnoreEos ?? true,
    ...(sessionKey === undefined ? {} : {sessionKey}),
    ...(input.responseFormat === undefined ? {} : {responseFormat: input.responseFormat}),
    ...(input.extraBody === undefined ? {} : {extraBody: input.extraBody}),
    temperature: nonNegative("temperature", input.temperature ?? DEFAULTS.temperature),
    seed: nonNegativeInt("seed", input.seed ?? DEFAULTS.seed),
    tokenizer,
    ...(slo === undefined ? {} : {slo: {...slo}}),
    timeoutMs: positive("timeoutMs", input.timeoutMs ?? DEFAULTS.timeoutMs),
    isMetricsEnabled: input.isMetricsEnabled ?? true,
    metricsPath,
    isPerRequestKept: input.isPerRequestKept ?? false
  };
}

function resolveTarget(field: string, target: TargetConfig): TargetConfig {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new BenchConfigError(`${field}.url`, `not a URL: ${target.url}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BenchConfigError(`${field}.url`, "must be http:// or https://");
  }
  if (target.model === "") throw new BenchConfigError(`${field}.model`, "must not be empty");
  // A trailing slash would double up when paths are appended.
  const base = target.url.replace(/\/+$/, "");
  return {
    url: base,
    ...(target.model === undefined ? {} : {model: target.model}),
    ...(target.apiKey === undefined ? {} : {apiKey: target.apiKey})
  };
}

function resolveDataset(input: Partial<DatasetConfig>): DatasetConfig {
  const kind = input.kind ?? "random";
  if (!["random", "chat", "jsonl"].includes(kind)) {
    throw new BenchConfigError("dataset.kind", `must be random, chat or jsonl, got ${String(kind)}`);
  }
  if (kind === "jsonl" && (input.file === undefined || input.file === "")) {
    throw new BenchConfigError("dataset.file", "the jsonl dataset needs a file");
  }
  const lenSpread = input.lenSpread ?? DEFAULTS.lenSpread;
  if (!(lenSpread >= 0 && lenSpread < 1)) throw new BenchConfigError("dataset.lenSpread", "must be in [0, 1)");
  return {
    kind,
    inputLen: positiveInt("dataset.inputLen", input.inputLen ?? DEFAULTS.inputLen),
    outputLen: positiveInt("dataset.outputLen", input.outputLen ?? DEFAULTS.outputLen),
    lenSpread,
    systemLen: nonNegativeInt("dataset.systemLen", input.systemLen ?? DEFAULTS.systemLen),
    turns: positiveInt("dataset.turns", input.turns ?? DEFAULTS.turns),
    ...(input.isReplyReplayed === true ? {isReplyReplayed: true} : {}),
    ...(input.file === undefined ? {} : {file: input.file})
  };
}

function resolveSessionKey(input: BenchConfigInput, transport: string, dataset: DatasetConfig): SessionKeyKind | undefined {
  const {sessionKey} = input;
  if (sessionKey === undefined) return undefined;
  if (sessionKey !== "header" && sessionKey !== "user") throw new BenchConfigError("sessionKey", `must be header or user, got ${String(sessionKey)}`);
  if (dataset.kind !== "chat") throw new BenchConfigError("sessionKey", "only the chat dataset has conversations to name");
  if (sessionKey === "header" && transport === "ws") {
    throw new BenchConfigError("sessionKey", "the websocket transport sends every conversation on one socket: use user");
  }
  return sessionKey;
}

function positive(field: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new BenchConfigError(field, `must be a positive number, got ${value}`);
  return value;
}

function nonNegative(field: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new BenchConfigError(field, `must be >= 0, got ${value}`);
  return value;
}

function positiveInt(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new BenchConfigError(field, `must be an integer >= 1, got ${value}`);
  return value;
}

function nonNegativeInt(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new BenchConfigError(field, `must be an integer >= 0, got ${value}`);
  return value;
}
