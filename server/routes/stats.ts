/**
 * `GET /v1/stats`: a small JSON snapshot of each served model for live dashboards (the playground's
 * panel polls it): running and waiting requests, KV cache usage, the prefix cache's hit rate, and
 * finished requests per variant. A served name with several variants (canary routing) sums its
 * variants' engines (shadows included: they share the machine) and lists each variant. Read from the
 * engines' own stats when asked, so it costs nothing between polls and works with `--no-metrics`. Under `/v1` so that an auth hook on `/v1/*` covers it
 * with the rest of the API. `/metrics` remains the place for rates and histograms.
 */
import type {FastifyInstance} from "fastify";
import type {VariantRouter} from "../canary/VariantRouter.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import type {VariantTally} from "../stats/VariantTally.ts";
import type {BatchService} from "../batch/BatchService.ts";

function snapshotOf(router: VariantRouter, tally: VariantTally) {
  const counts = new Map<string, number>();
  let running = 0;
  let waiting = 0;
  let parallel = 0;
  let numKvBlocksUsed = 0;
  let numKvBlocksTotal = 0;
  let numQueriedTokens = 0;
  let numHitTokens = 0;
  for (const variant of router.variants) {
    const {engine} = variant.model;
    const stats = engine.stats;
    const numSequences = engine.scheduler.getSequences().length;
    running += stats.numRunning;
    // Preempted requests wait to resume, as in the num_requests_waiting metric.
    waiting += stats.numWaiting + stats.numPreempted;
    parallel += numSequences;
    numKvBlocksUsed += stats.numKvBlocksUsed;
    numKvBlocksTotal += stats.numKvBlocksTotal;
    numQueriedTokens += stats.numPrefixQueryTokensTotal;
    numHitTokens += stats.numPrefixHitTokensTotal;
    // Every variant is listed from the start, so a panel can show 0 before the first request.
    counts.set(variant.name, tally.countsOf(engine).get(variant.name) ?? 0);
  }
  let numFinishedTotal = 0;
  for (const count of counts.values()) numFinishedTotal += count;
  return {
    model: router.name,
    running,
    waiting,
    parallel,
    kv_cache_usage: numKvBlocksTotal === 0 ? 0 : numKvBlocksUsed / numKvBlocksTotal,
    prefix_cache: {
      queried_tokens: numQueriedTokens,
      hit_tokens: numHitTokens,
      hit_rate: numQueriedTokens === 0 ? null : numHitTokens / numQueriedTokens
    },
    variants: [...counts].map(([variant, finished]) => ({
      variant,
      finished_requests: finished,
      share: numFinishedTotal === 0 ? null : finished / numFinishedTotal
    }))
  };
}

/** Unfinished batches and their progress. */
async function batchesOf(batch: BatchService) {
  const active = await batch.activeBatches().catch(() => []);
  return active.map((b) => ({id: b.id, status: b.status, endpoint: b.endpoint, created_at: b.createdAt,
    request_counts: {total: b.total, completed: b.completed, failed: b.failed}}));
}

export function registerStats(app: FastifyInstance, registry: ModelRegistry, tally: VariantTally, batch?: BatchService): void {
  app.get("/v1/stats", async () => {
    // Models are observed once ready, so the warm-up request is not counted.
    const routers = registry.notReadyReason ? [] : registry.routers();
    for (const router of routers) for (const variant of router.variants) tally.observe(variant.model.engine);
    return {object: "stats", models: routers.map((router) => snapshotOf(router, tally)), ...(batch ? {batches: await batchesOf(batch)} : {})};
  });
}
