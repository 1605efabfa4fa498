/**
 * Graceful shutdown of the server process, in the order a load balancer or Kubernetes needs:
 *
 *   SIGTERM ─┬─ /ready 503 "draining" ──── drain delay: still admitting ────┬─ new requests 503 + Retry-After
 *            │  (health checks fail,         (requests already on their     │  running ones finish within the
 *            │   endpoints are removed)       way are served)               │  shutdown timeout, then exit 0
 *
 * Past the shutdown timeout the requests still running end with what they have (a final chunk and
 * [DONE]). Then the HTTP server closes (websockets with 1001), every engine is freed, then the shared
 * weights, and the process exits 0. SIGINT (Ctrl-C) skips the drain delay: no load balancer waits on
 * a terminal. A second signal exits at once.
 */
import {setTimeout as sleep} from "node:timers/promises";
import type {FastifyInstance} from "fastify";
import type {ModelRegistry} from "../ModelRegistry.ts";

export interface ShutdownParts {
  readonly app: FastifyInstance;
  readonly registry: ModelRegistry;
  /** After SIGTERM, how long requests are still admitted while readiness says "draining". */
  readonly drainDelayMs: number;
  readonly shutdownTimeoutMs: number;
  /** The shared weights, once loaded; freed last, when every context on them is gone. */
  readonly weights: () => AsyncDisposable | null;
  readonly log: (message: string) => void;
}

async function shutDown(parts: ShutdownParts, signal: NodeJS.Signals): Promise<never> {
  const {app, registry, shutdownTimeoutMs} = parts;
  const drainDelayMs = signal === "SIGTERM" ? parts.drainDelayMs : 0;
  registry.startDraining();
  if (drainDelayMs > 0) {
    parts.log(`${signal}: draining: /ready answers 503, requests are still admitted for ${drainDelayMs / 1000} s so load balancers stop sending first`);
    await sleep(drainDelayMs);
  }
  parts.log(`${signal}: refusing new requests, letting running ones finish (up to ${shutdownTimeoutMs / 1000} s)`);
  registry.stopAdmitting();
  await Promise.all(registry.list().map((model) => model.engine.drain(shutdownTimeoutMs)));
  await app.close();
  await registry[Symbol.asyncDispose]();
  await parts.weights()?.[Symbol.asyncDispose]();
  process.exit(0);
}

export function handleShutdownSignals(parts: ShutdownParts): void {
  let isShuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (isShuttingDown) {
      process.stderr.write(`inflight: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    isShuttingDown = true;
    void shutDown(parts, signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
