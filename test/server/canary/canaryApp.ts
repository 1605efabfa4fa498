/**
 * Builders for canary tests: variants over fake models (the real engine loop over a FakeExecutor),
 * a router over them, and the real app around it, with an injectable clock and no timers unless asked.
 */
import type {FastifyInstance} from "fastify";
import type {AppOptions} from "../../../server/app.ts";
import type {CanaryMonitorOptions} from "../../../server/canary/CanaryMonitor.ts";
import type {Variant} from "../../../server/canary/types.ts";
import {VariantRouter} from "../../../server/canary/VariantRouter.ts";
import {ModelRegistry} from "../../../server/ModelRegistry.ts";
import {createFakeServedModel, type FakeServedModel, type FakeServedModelOptions} from "../../utils/fakeServedModel.ts";
import {type ServedApp, serveRegistry} from "../../utils/servedApp.ts";

export type FakeVariantSpec = Partial<Omit<Variant, "model">> & {
  readonly name: string;
  readonly fake?: FakeServedModelOptions;
};

export function fakeVariant(servedName: string, spec: FakeVariantSpec): Variant & {readonly model: FakeServedModel} {
  return {
    model: createFakeServedModel(servedName, spec.fake),
    source: `fake:${spec.name}`,
    defaults: {},
    shadowRate: null,
    guardrails: null,
    rollout: null,
    initialWeight: 0,
    ...spec
  };
}

export interface CanaryRouterOptions extends CanaryMonitorOptions {
  readonly variants: readonly FakeVariantSpec[];
  readonly stickyKey?: string;
  readonly random?: () => number;
}

export function createFakeRouter(options: CanaryRouterOptions, servedName = "chat"): VariantRouter {
  return new VariantRouter({
    name: servedName,
    variants: options.variants.map((spec) => fakeVariant(servedName, spec)),
    stickyKey: options.stickyKey,
    random: options.random,
    clock: options.clock,
    isAutoEvaluated: options.isAutoEvaluated ?? false
  });
}

export interface CanaryApp extends ServedApp {
  readonly router: VariantRouter;
}

export async function startCanaryApp(options: CanaryRouterOptions & {
  readonly app?: Omit<AppOptions, "registry">;
  readonly isListening?: boolean;
}): Promise<CanaryApp> {
  const router = createFakeRouter(options);
  const registry = new ModelRegistry();
  registry.addRouter(router);
  return {...await serveRegistry(registry, options.app, {isListening: options.isListening ?? false}), router};
}

/** A small seeded PRNG (mulberry32), so random splits are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A chat completion through `inject`, returning status, variant header and content. */
export async function chat(app: FastifyInstance, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await app.inject({
    method: "POST",
    url: "/v1/chat/completions",
    headers,
    payload: {model: "chat", messages: [{role: "user", content: "hello"}], max_tokens: 4, ...body}
  });
  const json = response.json() as {choices?: {message: {content: string}}[]};
  return {status: response.statusCode, variant: response.headers["x-model-variant"] as string | undefined, content: json.choices?.[0]?.message.content, json};
}
