/**
 * The server process: parse flags, resolve what to serve (one model, or a variants file), listen (so
 * /health answers while the models load), load and warm each engine up with one short decode (so the
 * first user does not pay for lazy native set-up), then serve; /ready says which of these it is in.
 * Shutdown is `process/shutdown.ts`'s. Owns the order of start-up only.
 */
import type {LlamaServedModel} from "../engine/createLlamaServedModel.ts";
import {EngineError} from "../engine/errors.ts";
import {buildApp} from "./app.ts";
import {BatchService} from "./batch/BatchService.ts";
import {observeRouter} from "./canary/observeRouter.ts";
import {parseConfig, type ServerConfig} from "./config.ts";
import {ServerMetrics} from "./metrics/ServerMetrics.ts";
import {ModelRegistry} from "./ModelRegistry.ts";
import {type LoadedModels, loadServedModels} from "./models/loadServedModels.ts";
import {servedModelSpecsOf} from "./models/servedModelSpecs.ts";
import {handleShutdownSignals} from "./process/shutdown.ts";
import {describeServedModel, toolSyntaxWarning} from "./process/startupLog.ts";

/** A few ordinary tokens: enough for one prefill batch and one decode step. */
const WARM_UP_TEXT = "The quick brown fox jumps over the lazy dog.";

function fail(message: string): never {
  process.stderr.write(`inflight: ${message}\n`);
  process.exit(1);
}

/** Runs `step`, or exits with its one-line reason (flag contradictions, a missing model, a bad variants file). */
function orFail<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<void> {
  const config: ServerConfig = orFail(() => parseConfig(process.argv.slice(2)));
  const specs = orFail(() => servedModelSpecsOf(config));
  const registry = new ModelRegistry();
  const metrics = config.isMetricsEnabled ? new ServerMetrics() : null;
  // Readiness beyond the registry's "loading": the warm-up, which runs once a model is loaded.
  let warmingUp: string | null = null;
  const batch = new BatchService({registry, ...config.batch});
  const app = buildApp({
    registry, metrics, logger: {level: config.logLevel}, isPromptLogged: config.isPromptLogged, notReadyReason: () => warmingUp,
    adminKey: config.adminKey, apiKeys: {keys: config.apiKeys, isObservabilityProtected: config.isObservabilityProtected},
    corsOrigins: config.corsOrigins, bodyLimitBytes: config.maxBodyBytes,
    batch: {service: batch, fileLimits: {maxFileBytes: config.batch.maxFileBytes, maxFiles: config.batch.maxFiles}}
  });
  const log = (message: string): void => app.log.info(message);
  await app.listen({host: config.host, port: config.port}).catch((error: Error) => fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`));
  // Batch requests are handed back at the first signal, before the engines drain, so none is cut short.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void batch.stopRunning());
  await batch.openIfExists().catch((error: Error) => app.log.warn(`batches are not served: ${error.message}`));
  let loaded: LoadedModels | null = null;
  handleShutdownSignals({app, registry, drainDelayMs: config.drainDelayMs, shutdownTimeoutMs: config.shutdownTimeoutMs, weights: () => loaded, log});
  const warmUp = async (model: LlamaServedModel, label: string): Promise<void> => {
    warmingUp = `the model is warming up (${label})`;
    const warmUpMs = await model.engine.warmUp(model.tokenize(WARM_UP_TEXT));
    log(`${label}: warm-up decode took ${Math.round(warmUpMs)} ms`);
  };
  try {
    loaded = await loadServedModels(specs, {gpu: config.engine.gpu, log, warmUp});
  } catch (error) {
    fail(error instanceof EngineError ? error.message : `cannot load the model: ${(error as Error).message}`);
  }
  for (const router of loaded.routers) {
    registry.addRouter(router);
    // Observed only now, so the warm-ups are not in the metrics.
    observeRouter(router, metrics, app.log);
    for (const variant of router.variants) {
      const label = `"${router.name}" variant "${variant.name}"`;
      log(`serving ${describeServedModel(variant.model as LlamaServedModel, label)}`);
      const warning = toolSyntaxWarning(variant.model as LlamaServedModel, label);
      if (warning) app.log.warn(warning);
    }
  }
  log(`${loaded.numLoadedModels} model file(s) loaded for ${registry.list().length} variant(s); API on http://${config.host}:${config.port}/v1`);
  warmingUp = null;
  registry.markReady();
}

void main();
