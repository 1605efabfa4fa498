/**
 * Liveness and readiness. `/health` answers 200 whenever the process serves (with the state in the
 * body: loading, draining or ok), so a liveness probe never restarts a server that is loading or
 * shutting down; `/ready` answers 503 with the reason (loading, warming up, draining) until the model
 * can take requests and again from the first moment of shutdown, so a load balancer or a Kubernetes
 * readiness probe sends traffic only in between.
 */
import type {FastifyInstance} from "fastify";
import {DRAINING} from "../ModelRegistry.ts";

/** Why the server cannot take requests now, or null when it can. */
export type NotReadyReason = () => string | null;

function healthStatus(reason: string | null): string {
  if (reason === null) return "ok";
  return reason === DRAINING ? DRAINING : "loading";
}

export function registerHealth(app: FastifyInstance, notReadyReason: NotReadyReason): void {
  app.get("/health", async () => ({status: healthStatus(notReadyReason())}));
  app.get("/ready", async (_request, reply) => {
    const reason = notReadyReason();
    if (reason) return reply.code(503).header("retry-after", "1").send({status: "not_ready", reason});
    return {status: "ready"};
  });
}
