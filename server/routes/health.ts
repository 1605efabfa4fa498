/**
 * Liveness and readiness. `/health` answers 200 whenever the process serves (with the loading state in
 * the body); `/ready` answers 503 with the reason (loading, warming up, shutting down) until the model
 * can take requests, so a load balancer sends traffic only then.
 */
import type {FastifyInstance} from "fastify";

/** Why the server cannot take requests now, or null when it can. */
export type NotReadyReason = () => string | null;

export function registerHealth(app: FastifyInstance, notReadyReason: NotReadyReason): void {
  app.get("/health", async () => ({status: notReadyReason() ? "loading" : "ok"}));
  app.get("/ready", async (_request, reply) => {
    const reason = notReadyReason();
    if (reason) return reply.code(503).header("retry-after", "1").send({status: "not_ready", reason});
    return {status: "ready"};
  });
}
