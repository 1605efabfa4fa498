/**
 * The models this server serves, by the name clients send as `model`: each name has a router over one
 * or more variants (`canary/VariantRouter.ts`). A request naming no model gets the default (first)
 * one, as llama-server and vLLM do; an unknown name is a 404; before the models have loaded every
 * lookup is a 503, so the server can listen (and answer /health) while loading. A single model added
 * with `add` is served as one variant named "default", exactly as before canary routing.
 * Shutting down takes two steps: draining (readiness says "draining" so load balancers stop sending,
 * lookups still succeed), then no longer admitting (every lookup is a 503).
 * Owns the lookup and the disposal of the variants' engines; routing decisions are the routers'.
 */
import {EngineError} from "../engine/errors.ts";
import type {ServedModel} from "../engine/ServedModel.ts";
import {DEFAULT_VARIANT} from "../engine/types.ts";
import type {Variant} from "./canary/types.ts";
import {VariantRouter} from "./canary/VariantRouter.ts";
import {ApiError} from "./errors.ts";

/** A model served alone: one variant, all traffic, no canary settings. */
export function singleVariant(model: ServedModel): Variant {
  return {name: DEFAULT_VARIANT, model, source: model.name, defaults: {}, shadowRate: null, guardrails: null, rollout: null, initialWeight: 1};
}

/** The not-ready reason of a server that is shutting down: `/ready` answers 503 with it. */
export const DRAINING = "draining";

export class ModelRegistry implements AsyncDisposable {
  private readonly routersByName = new Map<string, VariantRouter>();
  private loadingReason: string | null = "the model is loading";
  private isDrainStarted = false;
  private isShuttingDown = false;

  /** Why the server is not ready ("draining" once shutdown began), or null once every model is registered. */
  get notReadyReason(): string | null {
    return this.isDrainStarted ? DRAINING : this.loadingReason;
  }

  /** True from the first step of shutdown on. */
  get isDraining(): boolean {
    return this.isDrainStarted;
  }

  /** Readiness answers "draining" from now on; requests are still admitted until `stopAdmitting`. */
  startDraining(): void {
    this.isDrainStarted = true;
  }

  /** Serves one model under its own name, as the single variant "default". */
  add(model: ServedModel): VariantRouter {
    const router = new VariantRouter({name: model.name, variants: [singleVariant(model)]});
    this.addRouter(router);
    return router;
  }

  addRouter(router: VariantRouter): void {
    this.routersByName.set(router.name, router);
  }

  /** From now on every lookup answers 503 (shutting_down): running requests finish, new ones are refused. */
  stopAdmitting(): void {
    this.isDrainStarted = true;
    this.isShuttingDown = true;
  }

  markReady(): void {
    this.loadingReason = null;
  }

  routers(): readonly VariantRouter[] {
    return [...this.routersByName.values()];
  }

  /** Every variant's model (each has its own engine), shadows included. */
  list(): readonly ServedModel[] {
    return this.routers().flatMap((router) => router.variants.map((variant) => variant.model));
  }

  /** The router of the model a request asked for; throws the matching client error otherwise. */
  resolve(name: string | null | undefined): VariantRouter {
    if (this.isShuttingDown) throw new EngineError("shutting_down", "the server is shutting down");
    if (this.loadingReason !== null) throw new EngineError("not_ready", this.loadingReason);
    if (name == null) return this.routers()[0]!;
    const router = this.routersByName.get(name);
    if (!router) {
      throw new ApiError(404, `The model '${name}' does not exist. Available: ${[...this.routersByName.keys()].join(", ")}`,
        "invalid_request_error", "model", "model_not_found");
    }
    return router;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.loadingReason = "the server is shutting down";
    for (const router of this.routersByName.values()) {
      router.close();
      for (const variant of router.variants) await variant.model[Symbol.asyncDispose]();
    }
    this.routersByName.clear();
  }
}
