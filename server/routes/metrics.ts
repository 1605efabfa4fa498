/**
 * `GET /metrics`: the Prometheus text exposition of the server's own registry. Registered only when
 * metrics are on (`--no-metrics` leaves the route out, so it answers 404).
 */
import type {FastifyInstance} from "fastify";
import type {ServerMetrics} from "../metrics/ServerMetrics.ts";

export function registerMetrics(app: FastifyInstance, metrics: ServerMetrics): void {
  app.get("/metrics", async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}
