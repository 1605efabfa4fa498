/**
 * The load generator as a library: `runLoad(config)` runs every level and round against one server,
 * or two in alternation, and returns the report record. The CLI and scenario scripts both call it;
 * it prints nothing (progress goes through hooks) and writes no files.
 *
 * Order of a run, per level: rounds A, B, A, B, ... Round r of level l sends the requests (and
 * arrival times) seeded by (seed, l, r) (`seeds.ts`) to both servers, so A and B always see
 * identical requests and no round replays an earlier one (which a prefix cache would flatter). Each server first gets `warmupRequests`
 * unmeasured requests; `/metrics` is scraped just before and after each measured round.
 */
import {poissonArrivalTimes} from "./arrivals.ts";
import {resolveConfig, type BenchConfigInput} from "./config.ts";
import {buildDataset} from "./datasets/buildDataset.ts";
import {loadJsonlRequests, type JsonlRequest} from "./datasets/jsonlDataset.ts";
import {runClosedLoop, runOpenLoop, type RoundRun} from "./drivers.ts";
import {computeRatios, computeServerFigures, type RoundResults} from "./figures.ts";
import {addDeltas, counterDeltas} from "./promMetrics.ts";
import {scrapeMetrics} from "./scrapeMetrics.ts";
import {roundSeeds, warmupSeed} from "./seeds.ts";
import {withServedModels} from "./servedModel.ts";
import {getTokenCounter, type TokenCounter} from "./tokenCounter.ts";
import {createTransport} from "./transport/createTransport.ts";
import type {BenchConfig, BenchReport, LevelReport, RequestResult, RequestSpec, RoundRecord, ServedTarget} from "./types.ts";

/** Identifies the round a hook call is about. */
export interface RoundInfo {
  readonly label: "A" | "B";
  readonly url: string;
  readonly level: number;
  readonly round: number;
  /** Requests this round will send at most. */
  readonly total: number;
}

/** Optional callbacks and cancellation for a run. */
export interface RunHooks {
  /** Stops the run: requests in flight are aborted, later rounds skipped, the partial report returned. */
  readonly signal?: AbortSignal;
  readonly onRoundStart?: (info: RoundInfo) => void;
  readonly onResult?: (result: RequestResult, info: RoundInfo) => void;
  readonly onRoundEnd?: (record: RoundRecord, info: RoundInfo) => void;
}

interface Server {
  readonly label: "A" | "B";
  readonly target: ServedTarget;
  readonly rounds: RoundResults[];
  metrics: Record<string, number> | null;
}

/**
 * Runs the configured workload and returns every figure with the resolved configuration. A target
 * without a model gets the server's first (`servedModel.ts`).
 * @throws BenchConfigError for an invalid configuration or a model that cannot be looked up,
 *   JsonlDatasetError for a bad dataset file; failed requests never throw, they are counted in
 *   the report.
 */
export async function runLoad(input: BenchConfigInput, hooks: RunHooks = {}): Promise<BenchReport> {
  const resolved = resolveConfig(input);
  const counter = getTokenCounter(resolved.tokenizer);
  const jsonl = resolved.dataset.kind === "jsonl" && resolved.dataset.file !== undefined ? loadJsonlRequests(resolved.dataset.file) : undefined;
  const config = await withServedModels(resolved, hooks.signal);
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const rounds: RoundRecord[] = [];
  const levels: LevelReport[] = [];
  const isAborted = (): boolean => hooks.signal?.aborted === true;
  const targets: [ServedTarget, ...ServedTarget[]] = config.compare === undefined ? [config.target] : [config.target, config.compare];

  for (const [index, target] of targets.entries()) {
    const failures = await warmUp(config, target, counter, jsonl, hooks.signal);
    if (failures.length > 0) notes.push(`warm-up of ${labelOf(index)} failed: ${failures.join("; ")}`);
  }

  for (const [levelIndex, level] of config.workload.levels.entries()) {
    const servers: Server[] = targets.map((target, index) => ({label: labelOf(index), target, rounds: [], metrics: {}}));
    for (let round = 0; round < config.rounds && !isAborted(); round++) {
      const seeds = roundSeeds(config.seed, levelIndex, round);
      const arrivals =
        config.workload.kind === "rate"
          ? poissonArrivalTimes({ratePerSecond: level, maxCount: config.numRequests, seed: seeds.arrivals, ...duration(config)})
          : undefined;
      const specs = withIdPrefix(
        `L${levelIndex}R${round}-`,
        buildDataset(config.dataset, arrivals?.length ?? config.numRequests, seeds.dataset, counter, jsonl)
      );
      for (const server of servers) {
        if (isAborted()) break;
        const info: RoundInfo = {label: server.label, url: server.target.url, level, round, total: specs.length};
        const run = await runRound(config, server, specs, arrivals, level, counter, info, hooks);
        server.rounds.push(run);
        const record: RoundRecord = {
          label: server.label,
          level,
          round,
          startedAt: run.startedAt.toISOString(),
          durationMs: run.durationMs,
          sent: run.results.length,
          completed: run.results.filter((result) => result.isSuccess).length,
          ...(config.isPerRequestKept ? {requests: run.results} : {})
        };
        rounds.push(record);
        hooks.onRoundEnd?.(record, info);
      }
    }
    if (servers.every((server) => server.rounds.length === 0)) break;
    const figures = servers.map((server) =>
      computeServerFigures({
        label: server.label,
        url: server.target.url,
        rounds: server.rounds,
        ...(config.slo === undefined ? {} : {slo: config.slo}),
        serverMetrics: server.metrics
      })
    );
    const [a, b] = figures;
    levels.push({level, servers: figures, ...(a !== undefined && b !== undefined ? {ratios: computeRatios(a, b)} : {})});
  }
  if (isAborted()) notes.push("run aborted: figures cover the rounds that ran");
  notes.push(...describeMeasurements(levels, config));
  return {config, startedAt, finishedAt: new Date().toISOString(), levelKind: config.workload.kind, levels, rounds, notes};
}

async function runRound(
  config: BenchConfig,
  server: Server,
  specs: readonly RequestSpec[],
  arrivals: readonly number[] | undefined,
  level: number,
  counter: TokenCounter,
  info: RoundInfo,
  hooks: RunHooks
): Promise<RoundRun> {
  const before = config.isMetricsEnabled ? await scrapeMetrics(server.target, config.metricsPath) : null;
  hooks.onRoundStart?.(info);
  const transport = createTransport(config.transport, {target: server.target, config, counter});
  const options = {
    ...duration(config),
    ...(hooks.signal === undefined ? {} : {signal: hooks.signal}),
    onResult: (result: RequestResult) => hooks.onResult?.(result, info)
  };
  let run: RoundRun;
  try {
    run =
      arrivals === undefined
        ? await runClosedLoop(specs, transport, level, options)
        : await runOpenLoop(specs, transport, arrivals, options);
  } finally {
    await transport.close();
  }
  const after = before === null ? null : await scrapeMetrics(server.target, config.metricsPath);
  if (before === null || after === null || server.metrics === null) server.metrics = null;
  else addDeltas(server.metrics, counterDeltas(before, after));
  return run;
}

/**
 * Sends the unmeasured requests all at once, so that N warm-up requests also open N connections;
 * returns a description of each failure.
 */
async function warmUp(
  config: BenchConfig,
  target: ServedTarget,
  counter: TokenCounter,
  jsonl: readonly JsonlRequest[] | undefined,
  signal?: AbortSignal
): Promise<string[]> {
  if (config.warmupRequests === 0) return [];
  const specs = withIdPrefix("W-", buildDataset(config.dataset, config.warmupRequests, warmupSeed(config.seed), counter, jsonl));
  const transport = createTransport(config.transport, {target, config, counter});
  try {
    const run = await runClosedLoop(specs, transport, specs.length, signal === undefined ? {} : {signal});
    return run.results.flatMap((result) => (result.failure === undefined ? [] : [`${result.failure.type} (${result.failure.message})`]));
  } finally {
    await transport.close();
  }
}

function describeMeasurements(levels: readonly LevelReport[], config: BenchConfig): string[] {
  const notes: string[] = [];
  for (const figures of levels.flatMap((level) => level.servers)) {
    if (figures.serverMetrics === null && config.isMetricsEnabled) {
      notes.push(`${figures.label} (${figures.url}) exposes no ${config.metricsPath}; no server-side figures`);
    }
    if (figures.meanTokensPerChunk !== null && figures.meanTokensPerChunk > 1.05) {
      notes.push(`${figures.label}: ${figures.meanTokensPerChunk.toFixed(2)} tokens per content chunk; ITL is per chunk, TPOT per token`);
    }
    if (figures.tokenizerCountedRequests > 0) {
      notes.push(`${figures.label}: output tokens of ${figures.tokenizerCountedRequests} requests counted with ${config.tokenizer} (no usage from the server)`);
    }
  }
  return [...new Set(notes)];
}

/**
 * Makes ids unique over the whole run (they travel as `x-request-id` and websocket `request_id`,
 * and a server may refuse an id it still holds from a timed-out request of an earlier round).
 */
function withIdPrefix(prefix: string, specs: readonly RequestSpec[]): RequestSpec[] {
  return specs.map((spec) => ({
    ...spec,
    id: `${prefix}${spec.id}`,
    ...(spec.sessionId === undefined ? {} : {sessionId: `${prefix}${spec.sessionId}`}),
    ...(spec.dependsOn === undefined ? {} : {dependsOn: `${prefix}${spec.dependsOn}`}),
    ...(spec.replies === undefined ? {} : {replies: spec.replies.map((reply) => ({...reply, turnId: `${prefix}${reply.turnId}`}))})
  }));
}

function labelOf(index: number): "A" | "B" {
  return index === 0 ? "A" : "B";
}

function duration(config: BenchConfig): {durationMs?: number} {
  return config.durationMs === undefined ? {} : {durationMs: config.durationMs};
}
