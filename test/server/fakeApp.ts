/**
 * The real app over a fake model (the engine loop with a {@link FakeExecutor}), listening on an
 * ephemeral loopback port so tests can stream, abort and scrape like real clients.
 */
import type {AppOptions} from "../../server/app.ts";
import {ModelRegistry} from "../../server/ModelRegistry.ts";
import {createFakeServedModel, type FakeServedModel, type FakeServedModelOptions} from "../utils/fakeServedModel.ts";
import {type ServedApp, serveRegistry} from "../utils/servedApp.ts";

export interface FakeApp extends ServedApp {
  readonly model: FakeServedModel;
}

export type FakeAppOptions = FakeServedModelOptions & {
  readonly app?: Omit<AppOptions, "registry">;
};

export async function startFakeApp(options: FakeAppOptions = {}): Promise<FakeApp> {
  const model = createFakeServedModel("fake", options);
  const registry = new ModelRegistry();
  registry.add(model);
  return {...await serveRegistry(registry, options.app), model};
}
