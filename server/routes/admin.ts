/**
 * The admin API of canary routing, on only when the server has an admin key (`--admin-key`); without
 * one every `/admin/*` path is an ordinary 404. Every request needs `Authorization: Bearer <key>`,
 * compared in constant time; anything else is a 401.
 *
 * - `GET /admin/variants`: every served model's variants: weights, traffic shares, rollout stages,
 *   rollback state, window metrics.
 * - `POST /admin/variants/:name` with `{"action": "set_weight", "weight": 25}`, `{"action": "promote"}`,
 *   `{"action": "rollback"}` or `{"action": "start_rollout"}`, plus `"model"` when the variant name is
 *   not unique across served models. Changes apply to the next request routed; requests in flight
 *   keep the engine they started on.
 */
import type {FastifyInstance} from "fastify";
import {z} from "zod";
import {isBearerKeyValid} from "../auth/bearer.ts";
import {routerSnapshot} from "../canary/routerSnapshot.ts";
import type {VariantRouter} from "../canary/VariantRouter.ts";
import {ApiError} from "../errors.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {parseBody} from "../schemas/parseBody.ts";

const actionBody = z.discriminatedUnion("action", [
  z.object({action: z.literal("set_weight"), weight: z.number().min(0), model: z.string().optional()}),
  z.object({action: z.literal("promote"), model: z.string().optional()}),
  z.object({action: z.literal("rollback"), model: z.string().optional()}),
  z.object({action: z.literal("start_rollout"), model: z.string().optional()})
]);

/** Constant-time, as every key check (auth/bearer.ts). */
export function isAdminKeyValid(authorization: string | undefined, adminKey: string): boolean {
  return isBearerKeyValid(authorization, [adminKey]);
}

function routerOf(registry: ModelRegistry, variantName: string, modelName: string | undefined): VariantRouter {
  if (modelName !== undefined) return registry.resolve(modelName);
  const owners = registry.routers().filter((router) => router.variants.some((variant) => variant.name === variantName));
  if (owners.length === 1) return owners[0]!;
  if (owners.length === 0) throw new ApiError(404, `no served model has a variant "${variantName}"`, "invalid_request_error", "name", "variant_not_found");
  throw new ApiError(400, `variant "${variantName}" exists in ${owners.map((router) => router.name).join(", ")}: say which with "model"`,
    "invalid_request_error", "model", "ambiguous_variant");
}

export function registerAdmin(app: FastifyInstance, registry: ModelRegistry, adminKey: string): void {
  void app.register(async (scope) => {
    scope.addHook("onRequest", async (request, reply) => {
      if (isAdminKeyValid(request.headers.authorization, adminKey)) return;
      const error = new ApiError(401, "a valid admin key is required: Authorization: Bearer <key>", "authentication_error", null, "invalid_admin_key");
      return reply.code(401).header("www-authenticate", "Bearer").send(error.toBody());
    });
    scope.get("/admin/variants", async () => ({object: "variants", models: registry.routers().map(routerSnapshot)}));
    scope.post<{Params: {name: string}}>("/admin/variants/:name", async (request) => {
      const body = parseBody(actionBody, request.body);
      const {name} = request.params;
      const router = routerOf(registry, name, body.model);
      if (body.action === "set_weight") router.setWeight(name, body.weight);
      else if (body.action === "promote") router.promote(name);
      else if (body.action === "rollback") router.rollBack(name, "rolled back by an operator", false);
      else router.startRollout(name);
      request.log.info({model: router.name, variant: name, action: body.action, weight: router.stateOf(name).weight}, "variant changed by an operator");
      return routerSnapshot(router);
    });
  });
}
