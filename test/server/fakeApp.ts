/**
 * The real app over a fake model (the engine loop with a {@link FakeExecutor}), listening on an
 * ephemeral loopback port so tests can stream, abort and scrape like real clients.
 */
import type {FastifyInstance} from "fastify";
import {type AppOptions, buildApp} from "../../server/app.ts";
import {ModelRegistry} from "../../server/ModelRegistry.ts";
import type {FakeExecutorOptions} from "../utils/FakeExecutor.ts";
import {createFakeServedModel, type FakeServedModel} from "../utils/fakeServedModel.ts";
import {listenOnLoopback} from "../utils/listenOnLoopback.ts";

export interface FakeApp extends AsyncDisposable {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly model: FakeServedModel;
}

export async function startFakeApp(options: FakeExecutorOptions & {
  readonly maxQueueLength?: number;
  readonly requestTimeoutMs?: number;
  readonly app?: Omit<AppOptions, "registry">;
} = {}): Promise<FakeApp> {
  const model = createFakeServedModel("fake", options);
  const registry = new ModelRegistry();
  registry.add(model);
  registry.markReady();
  const app = buildApp({registry, ...options.app});
  const url = await listenOnLoopback(app);
  return {
    url,
    app,
    model,
    async [Symbol.asyncDispose]() {
      await app.close();
      await registry[Symbol.asyncDispose]();
    }
  };
}
