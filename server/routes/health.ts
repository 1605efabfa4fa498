/**
 * Liveness and readiness. `/health` answers 200 whenever the process serves (with the loading state in
 * the body); `/ready` answers 503 with the reason until the model can take requests, so a load
 * balancer sends traffic only then.
 */
import type {FastifyInstance} from "fastify";
import type {ModelRegistry} from "../ModelRegistry.ts";

export function registerHealth(app: FastifyInstance, registry: ModelRegistry): void {
  app.get("/health", async () => ({status: registry.notReadyReason ? "loading" : "ok"}));
  app.get("/ready", async (_request, reply) => {
    const reason = registry.notReadyReason;
    if (reason) return reply.code(503).send({status: "not_ready", reason});
    return {status: "ready"};
  });
}
