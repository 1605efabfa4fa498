/**
 * Connects a router to the server's observability once its variants are ready: metrics for every
 * variant's engine and the router's events, and log lines for what operators must know about
 * (automatic rollbacks as warnings, rollout stages as information). Called by `buildApp` for the
 * routers it starts with and by `main.ts` for those loaded later.
 */
import type {FastifyBaseLogger} from "fastify";
import type {ServerMetrics} from "../metrics/ServerMetrics.ts";
import type {VariantRouter} from "./VariantRouter.ts";

export function observeRouter(router: VariantRouter, metrics: ServerMetrics | null, log: FastifyBaseLogger): void {
  metrics?.observeRouter(router);
  router.on("rolledBack", ({variant, reason, isAutomatic}) => {
    const line = {model: router.name, variant, reason};
    if (isAutomatic) log.warn(line, "canary rolled back: its weight is 0 until an operator acts");
    else log.info(line, "variant rolled back by an operator");
  });
  router.on("stageAdvanced", ({variant, percent}) => log.info({model: router.name, variant, percent}, "canary rollout advanced"));
}
