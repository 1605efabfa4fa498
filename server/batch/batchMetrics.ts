/**
 * Batch serving's Prometheus series, in the server's registry: requests this replica ended, by
 * status; requests it holds now; and the backlog of every running batch (all replicas together, read
 * from the store at scrape). Batch requests stay out of the online request histograms
 * (`ServerMetrics.setBackgroundRequests`), so online latency is what interactive users see; their
 * tokens still count in the token counters, which measure the engine's work.
 */
import {Counter, Gauge} from "prom-client";
import {METRIC_PREFIX, MODEL_LABELS} from "../metrics/definitions.ts";
import type {ServerMetrics} from "../metrics/ServerMetrics.ts";
import type {BatchService} from "./BatchService.ts";

export function observeBatches(metrics: ServerMetrics, service: BatchService): void {
  const registers = [metrics.registry];
  const requests = new Counter({
    name: `${METRIC_PREFIX}batch_requests_total`,
    help: "Batch requests this replica ended, by status: completed (200), failed (an error answer), cancelled (their batch was cancelled or expired).",
    labelNames: [...MODEL_LABELS, "status"],
    registers
  });
  new Gauge({
    name: `${METRIC_PREFIX}batch_requests_held`,
    help: "Batch requests this replica has claimed and not ended: running in an engine or waiting for room.",
    registers,
    collect() { this.set(service.numHeld); }
  });
  new Gauge({
    name: `${METRIC_PREFIX}batch_backlog_requests`,
    help: "Requests of running batches not answered yet, over every replica sharing the store.",
    registers,
    async collect() { this.set(await service.backlog().catch(() => 0)); }
  });
  service.observe({onEnded: ({modelName, variant}, status) => requests.inc({model_name: modelName, variant, status})});
  metrics.setBackgroundRequests((requestId) => service.isBatchRequest(requestId));
}
