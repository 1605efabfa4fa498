/**
 * `GET /v1/models` and `GET /v1/models/:model`, in OpenAI's list shape: one entry per served name,
 * whatever its variants (clients do not see canaries); `max_model_len` is the smallest of its routed
 * variants', so a request that fits fits wherever it is routed.
 */
import type {FastifyInstance} from "fastify";
import type {VariantRouter} from "../canary/VariantRouter.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";

function describe(router: VariantRouter) {
  const contextLength = Math.min(...router.routed.map((variant) => variant.model.contextLength));
  return {id: router.name, object: "model", created: router.primary.model.createdAtSeconds, owned_by: "inflight", max_model_len: contextLength};
}

export function registerModels(app: FastifyInstance, registry: ModelRegistry): void {
  app.get("/v1/models", async () => ({object: "list", data: registry.notReadyReason ? [] : registry.routers().map(describe)}));
  app.get<{Params: {model: string}}>("/v1/models/:model", async (request) => describe(registry.resolve(request.params.model)));
}
