/**
 * `GET /v1/stats`: a small JSON snapshot of each served model for live dashboards (the playground's
 * panel polls it): running and waiting requests, KV cache usage, the prefix cache's hit rate, and
 * finished requests per variant. Read from the engine's own stats when asked, so it costs nothing
 * between polls and works with `--no-metrics`. Under `/v1` so that an auth hook on `/v1/*` covers it
 * with the rest of the API. `/metrics` remains the place for rates and histograms.
 */
import type {FastifyInstance} from "fastify";
import type {ServedModel} from "../../engine/ServedModel.ts";
import {DEFAULT_VARIANT} from "../../engine/types.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import type {VariantTally} from "../stats/VariantTally.ts";

function snapshotOf(model: ServedModel, tally: VariantTally) {
  const {engine} = model;
  const stats = engine.stats;
  const counts = new Map(tally.countsOf(engine));
  // Every variant is listed from the start, so a panel can show 0 before the first request.
  if (!counts.has(DEFAULT_VARIANT)) counts.set(DEFAULT_VARIANT, 0);
  let numFinishedTotal = 0;
  for (const count of counts.values()) numFinishedTotal += count;
  return {
    model: model.name,
    running: stats.numRunning,
    // Preempted requests wait to resume, as in the num_requests_waiting metric.
    waiting: stats.numWaiting + stats.numPreempted,
    parallel: engine.scheduler.getSequences().length,
    kv_cache_usage: engine.kvCacheUsage(),
    prefix_cache: {
      queried_tokens: stats.numPrefixQueryTokensTotal,
      hit_tokens: stats.numPrefixHitTokensTotal,
      hit_rate: stats.numPrefixQueryTokensTotal === 0 ? null : stats.numPrefixHitTokensTotal / stats.numPrefixQueryTokensTotal
    },
    variants: [...counts].map(([variant, finished]) => ({
      variant,
      finished_requests: finished,
      share: numFinishedTotal === 0 ? null : finished / numFinishedTotal
    }))
  };
}

export function registerStats(app: FastifyInstance, registry: ModelRegistry, tally: VariantTally): void {
  app.get("/v1/stats", async () => {
    // Models are observed once ready, so the warm-up request is not counted.
    const models = registry.notReadyReason ? [] : registry.list();
    for (const model of models) tally.observe(model.engine);
    return {object: "stats", models: models.map((model) => snapshotOf(model, tally))};
  });
}
