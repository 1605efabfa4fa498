/** `GET /v1/models` and `GET /v1/models/:model`, in OpenAI's list shape. */
import type {FastifyInstance} from "fastify";
import type {ServedModel} from "../../engine/ServedModel.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";

function describe(model: ServedModel) {
  return {id: model.name, object: "model", created: model.createdAtSeconds, owned_by: "inflight", max_model_len: model.contextLength};
}

export function registerModels(app: FastifyInstance, registry: ModelRegistry): void {
  app.get("/v1/models", async () => ({object: "list", data: registry.notReadyReason ? [] : registry.list().map(describe)}));
  app.get<{Params: {model: string}}>("/v1/models/:model", async (request) => describe(registry.resolve(request.params.model)));
}
