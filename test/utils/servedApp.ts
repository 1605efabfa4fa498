/**
 * The real app over a registry the caller filled (plain models or variant routers), marked ready and
 * listening on an ephemeral loopback port, or only made ready for tests that use `inject`: the
 * set-up every server test shares. Disposing closes the app first (no new requests), then the
 * registry's engines. Owns nothing else; what the registry holds is the caller's.
 */
import type {FastifyInstance} from "fastify";
import {type AppOptions, buildApp} from "../../server/app.ts";
import type {ModelRegistry} from "../../server/ModelRegistry.ts";
import {listenOnLoopback} from "./listenOnLoopback.ts";

export interface ServedApp extends AsyncDisposable {
  readonly app: FastifyInstance;
  readonly registry: ModelRegistry;
  /** The listening address; empty when started with `isListening: false`. */
  readonly url: string;
}

export async function serveRegistry(registry: ModelRegistry, appOptions: Omit<AppOptions, "registry"> = {},
  {isListening = true}: {readonly isListening?: boolean} = {}): Promise<ServedApp> {
  registry.markReady();
  const app = buildApp({registry, ...appOptions});
  let url = "";
  if (isListening) url = await listenOnLoopback(app);
  else await app.ready();
  return {
    app, registry, url,
    async [Symbol.asyncDispose]() {
      await app.close();
      await registry[Symbol.asyncDispose]();
    }
  };
}
