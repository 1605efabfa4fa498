/**
 * Feeds the Prometheus metrics of `definitions.ts` and renders them for `GET /metrics`. Each instance
 * owns its own registry (never prom-client's global one), so tests can build many apps side by side.
 *
 * Where the numbers come from, chosen to keep the streaming path cheap:
 * - per token: the engine's "step" record (output tokens, time to first token, inter-token gaps),
 *   one counter increment and one histogram observation per token;
 * - per request: the engine's "requestFinished" record (summary and timings);
 * - at scrape time only: running/waiting requests, KV usage and the scheduler's running totals
 *   (preemptions, prefix-cache lookups), read from the engine's stats;
 * - once, when an engine is observed: the KV cache's shape (`cache_config_info`), fixed for its life;
 * - per HTTP response: `countResponse`, called by the request hooks;
 * - canary routing: each router's events (rollbacks, shadow copies), and its traffic shares at scrape.
 * Node process metrics (CPU, memory, GC, event-loop lag) come from prom-client's default collectors.
 */
import {collectDefaultMetrics, Registry} from "prom-client";
import type {Engine} from "../../engine/Engine.ts";
import type {ServedModel} from "../../engine/ServedModel.ts";
import type {ShadowOutcome} from "../canary/types.ts";
import type {VariantRouter} from "../canary/VariantRouter.ts";
import {DEFAULT_VARIANT, type FinishedGenerationRecord, type FinishReason, type StepRecord} from "../../engine/types.ts";
import {defineMetrics, type MetricSet, type ModelLabels} from "./definitions.ts";

/** Every finish reason, so each `request_success_total` series exists (at 0) before its first request. */
const FINISH_REASONS = ["stop", "length", "abort", "error", "timeout"] as const satisfies readonly FinishReason[];
const SHADOW_OUTCOMES = ["completed", "dropped", "failed"] as const satisfies readonly ShadowOutcome[];

export interface ResponseLabels {
  readonly route: string;
  readonly statusCode: number;
  /** Empty when the request resolved no model (a bad body, an unknown route). */
  readonly modelName: string;
  readonly variant: string;
}

/** Label-bound series of one (model, variant): bound once so the per-token path builds no label objects. */
function bindSeries(metrics: MetricSet, labels: ModelLabels) {
  return {
    timeToFirstToken: metrics.timeToFirstToken.labels(labels),
    interTokenLatency: metrics.interTokenLatency.labels(labels),
    generationTokens: metrics.generationTokens.labels(labels)
  };
}

type VariantSeries = ReturnType<typeof bindSeries>;

interface SchedulerTotals {
  numPreemptionsTotal: number;
  numPrefixQueryTokensTotal: number;
  numPrefixHitTokensTotal: number;
  numHostPrefixHitTokensTotal: number;
}

interface ObservedEngine {
  readonly engine: Engine;
  /** Labels of the engine-wide series (gauges, scheduler totals). */
  readonly labels: ModelLabels;
  readonly seriesByVariant: Map<string, VariantSeries>;
  /** Scheduler totals already exported; each scrape adds what grew since. */
  readonly exported: SchedulerTotals;
  readonly detach: () => void;
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly metrics: MetricSet;
  private readonly observed = new Map<Engine, ObservedEngine>();
  private readonly routers = new Map<VariantRouter, () => void>();
  private isBackgroundRequest: (requestId: string) => boolean = () => false;

  constructor(options: {readonly isProcessMetricsEnabled?: boolean} = {}) {
    this.metrics = defineMetrics(this.registry);
    if (options.isProcessMetricsEnabled ?? true) collectDefaultMetrics({register: this.registry});
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Starts exporting a model's engine. Its engine-wide series carry `variant`; per-request series carry
   * each request's own variant. Scheduler totals count from now (a warm-up before this is not seen).
   * Observing the same engine twice does nothing.
   */
  observeModel(model: ServedModel, variant: string = DEFAULT_VARIANT): void {
    const {engine} = model;
    if (this.observed.has(engine)) return;
    const labels: ModelLabels = {model_name: model.name, variant};
    const onStep = (record: StepRecord): void => this.onStep(observed, record);
    const onFinished = (record: FinishedGenerationRecord): void => this.onRequestFinished(observed, record);
    const {numPreemptionsTotal, numPrefixQueryTokensTotal, numPrefixHitTokensTotal, numHostPrefixHitTokensTotal} = engine.stats;
    const observed: ObservedEngine = {
      engine,
      labels,
      seriesByVariant: new Map(),
      exported: {numPreemptionsTotal, numPrefixQueryTokensTotal, numPrefixHitTokensTotal, numHostPrefixHitTokensTotal},
      detach: () => {
        engine.off("step", onStep);
        engine.off("requestFinished", onFinished);
      }
    };
    this.observed.set(engine, observed);
    engine.on("step", onStep);
    engine.on("requestFinished", onFinished);
    this.zeroSeries(labels);
    const {kvBlockSize, numKvBlocksTotal} = engine.stats;
    this.metrics.cacheConfigInfo.set({...labels, block_size: String(kvBlockSize), num_gpu_blocks: String(numKvBlocksTotal)}, 1);
    this.refresh();
  }

  /**
   * Observes every variant of a served model (each its own engine, labelled with its variant), and the
   * router's own events: rollbacks, shadow copies, and the traffic share of each variant at scrape.
   */
  observeRouter(router: VariantRouter): void {
    if (this.routers.has(router)) return;
    for (const variant of router.variants) this.observeModel(variant.model, variant.name);
    const {metrics} = this;
    for (const variant of router.variants) {
      const labels: ModelLabels = {model_name: router.name, variant: variant.name};
      if (variant.shadowRate === null) metrics.canaryRollbacks.inc(labels, 0);
      else for (const outcome of SHADOW_OUTCOMES) metrics.shadowRequests.inc({...labels, outcome}, 0);
    }
    const onRolledBack = ({variant}: {variant: string}): void => metrics.canaryRollbacks.inc({model_name: router.name, variant});
    const onShadow = ({variant, outcome}: {variant: string; outcome: ShadowOutcome}): void =>
      metrics.shadowRequests.inc({model_name: router.name, variant, outcome});
    router.on("rolledBack", onRolledBack);
    router.on("shadow", onShadow);
    this.routers.set(router, () => {
      router.off("rolledBack", onRolledBack);
      router.off("shadow", onShadow);
    });
    this.refresh();
  }

  /**
   * Requests run in the background (batch requests): their tokens count, but they stay out of the
   * request histograms and `request_success_total`, which describe what online users get.
   */
  setBackgroundRequests(isBackgroundRequest: (requestId: string) => boolean): void {
    this.isBackgroundRequest = isBackgroundRequest;
  }

  countResponse(response: ResponseLabels): void {
    this.metrics.httpRequests.inc({
      model_name: response.modelName,
      variant: response.variant,
      route: response.route,
      status_code: String(response.statusCode)
    });
  }

  /** The exposition text, with the scrape-time values read just before. */
  async render(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  /** Stops listening to every engine. */
  close(): void {
    for (const observed of this.observed.values()) observed.detach();
    this.observed.clear();
    for (const detach of this.routers.values()) detach();
    this.routers.clear();
  }

  private seriesOf(observed: ObservedEngine, variant: string): VariantSeries {
    let series = observed.seriesByVariant.get(variant);
    if (series === undefined) {
      series = bindSeries(this.metrics, {model_name: observed.labels.model_name, variant});
      observed.seriesByVariant.set(variant, series);
    }
    return series;
  }

  private onStep(observed: ObservedEngine, record: StepRecord): void {
    for (const entry of record.entries) {
      if (entry.numOutputTokens === 0) continue;
      const series = this.seriesOf(observed, entry.variant);
      series.generationTokens.inc(entry.numOutputTokens);
      if (this.isBackgroundRequest(entry.requestId)) continue;
      if (entry.timeToFirstTokenMs !== null) series.timeToFirstToken.observe(entry.timeToFirstTokenMs / 1000);
      if (entry.interTokenLatencyMs !== null) series.interTokenLatency.observe(entry.interTokenLatencyMs / 1000);
    }
  }

  private onRequestFinished(observed: ObservedEngine, {requestId, variant, summary}: FinishedGenerationRecord): void {
    const labels: ModelLabels = {model_name: observed.labels.model_name, variant};
    const {metrics} = this;
    const {timings} = summary;
    metrics.promptTokens.inc(labels, summary.numPromptTokens);
    if (summary.speculation) {
      metrics.specDecodeDraftTokens.inc(labels, summary.speculation.numDraftTokens);
      metrics.specDecodeAcceptedTokens.inc(labels, summary.speculation.numAcceptedTokens);
      metrics.specDecodeDrafts.inc(labels, summary.speculation.numDrafts);
    }
    if (this.isBackgroundRequest(requestId)) return;
    metrics.requestSuccess.inc({...labels, finished_reason: summary.finishReason});
    metrics.e2eLatency.observe(labels, timings.totalMs / 1000);
    metrics.queueTime.observe(labels, timings.queueMs / 1000);
    if (timings.promptMs !== null) metrics.prefillTime.observe(labels, timings.promptMs / 1000);
    if (timings.timePerOutputTokenMs !== null) metrics.timePerOutputToken.observe(labels, timings.timePerOutputTokenMs / 1000);
    metrics.promptTokensPerRequest.observe(labels, summary.numPromptTokens);
    metrics.generationTokensPerRequest.observe(labels, summary.numOutputTokens);
  }

  /** Reads the engine-wide values that are cheaper to sample at scrape time than to track per step. */
  private refresh(): void {
    const {metrics} = this;
    for (const observed of this.observed.values()) {
      const {engine, labels, exported} = observed;
      const stats = engine.stats;
      metrics.numRunning.set(labels, stats.numRunning);
      // Preempted requests wait in the queue to resume, as in vLLM's num_requests_waiting.
      metrics.numWaiting.set(labels, stats.numWaiting + stats.numPreempted);
      metrics.kvCacheUsage.set(labels, engine.stats.kvUsage);
      metrics.preemptions.inc(labels, stats.numPreemptionsTotal - exported.numPreemptionsTotal);
      metrics.prefixCacheQueries.inc(labels, stats.numPrefixQueryTokensTotal - exported.numPrefixQueryTokensTotal);
      metrics.prefixCacheHits.inc(labels, stats.numPrefixHitTokensTotal - exported.numPrefixHitTokensTotal);
      exported.numPreemptionsTotal = stats.numPreemptionsTotal;
      exported.numPrefixQueryTokensTotal = stats.numPrefixQueryTokensTotal;
      exported.numPrefixHitTokensTotal = stats.numPrefixHitTokensTotal;
      metrics.prefixCacheHostHits.inc(labels, stats.numHostPrefixHitTokensTotal - exported.numHostPrefixHitTokensTotal);
      exported.numHostPrefixHitTokensTotal = stats.numHostPrefixHitTokensTotal;
    }
    for (const router of this.routers.keys()) {
      for (const variant of router.variants) metrics.variantTrafficShare.set({model_name: router.name, variant: variant.name}, router.shareOf(variant.name));
    }
  }

  /** Creates every series of a model at 0, so dashboards show 0 rather than "no data" before traffic. */
  private zeroSeries(labels: ModelLabels): void {
    const {metrics} = this;
    for (const histogram of [metrics.timeToFirstToken, metrics.interTokenLatency, metrics.timePerOutputToken, metrics.e2eLatency,
      metrics.queueTime, metrics.prefillTime, metrics.promptTokensPerRequest, metrics.generationTokensPerRequest]) histogram.zero(labels);
    for (const counter of [metrics.promptTokens, metrics.generationTokens, metrics.preemptions, metrics.prefixCacheQueries,
      metrics.prefixCacheHits, metrics.prefixCacheHostHits, metrics.specDecodeDraftTokens, metrics.specDecodeAcceptedTokens,
      metrics.specDecodeDrafts]) counter.inc(labels, 0);
    for (const reason of FINISH_REASONS) metrics.requestSuccess.inc({...labels, finished_reason: reason}, 0);
  }
}
