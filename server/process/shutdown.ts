/**
 * Graceful shutdown of the server process on SIGINT or SIGTERM: stop admitting (new requests get
 * 503), let running requests finish within the shutdown timeout (past it they end with what they
 * have, with a final chunk and [DONE]), close the HTTP server, free every engine, then the shared
 * weights, and exit 0. A second signal exits at once.
 */
import type {FastifyInstance} from "fastify";
import type {ModelRegistry} from "../ModelRegistry.ts";

export interface ShutdownParts {
  readonly app: FastifyInstance;
  readonly registry: ModelRegistry;
  readonly shutdownTimeoutMs: number;
  /** The shared weights, once loaded; freed last, when every context on them is gone. */
  readonly weights: () => AsyncDisposable | null;
  readonly log: (message: string) => void;
}

export function handleShutdownSignals(parts: ShutdownParts): void {
  let isShuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (isShuttingDown) {
      process.stderr.write(`inflight: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    isShuttingDown = true;
    const {app, registry, shutdownTimeoutMs} = parts;
    parts.log(`${signal}: refusing new requests, letting running ones finish (up to ${shutdownTimeoutMs / 1000} s)`);
    registry.stopAdmitting();
    await Promise.all(registry.list().map((model) => model.engine.drain(shutdownTimeoutMs)));
    await app.close();
    await registry[Symbol.asyncDispose]();
    await parts.weights()?.[Symbol.asyncDispose]();
    process.exit(0);
  };
  process.on("SIGINT", (signal) => void shutdown(signal));
  process.on("SIGTERM", (signal) => void shutdown(signal));
}
