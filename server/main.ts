/**
 * The server process: parse flags, check the model source, listen (so /health answers while the
 * model loads), load the model, warm it up with one short decode (so the first user does not pay for
 * lazy native set-up), then serve; /ready says which of these it is in. On SIGINT/SIGTERM stop
 * admitting, drain, free everything and exit 0 (a second signal exits at once). Owns the process
 * lifecycle only.
 */
import {createLlamaServedModel} from "../engine/createLlamaServedModel.ts";
import {EngineError} from "../engine/errors.ts";
import {resolveModelSource} from "../engine/model/resolveModelSource.ts";
import {buildApp} from "./app.ts";
import {parseConfig} from "./config.ts";
import {ServerMetrics} from "./metrics/ServerMetrics.ts";
import {ModelRegistry} from "./ModelRegistry.ts";

/** A few ordinary tokens: enough for one prefill batch and one decode step. */
const WARM_UP_TEXT = "The quick brown fox jumps over the lazy dog.";

function fail(message: string): never {
  process.stderr.write(`inflight: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2));
  const registry = new ModelRegistry();
  const metrics = config.isMetricsEnabled ? new ServerMetrics() : null;
  // Readiness beyond the registry's "loading": the warm-up, which runs once the model is loaded.
  let startupReason: string | null = null;
  const app = buildApp({
    registry,
    logger: {level: config.logLevel},
    metrics,
    isPromptLogged: config.isPromptLogged,
    notReadyReason: () => startupReason
  });
  const log = (message: string): void => app.log.info(message);
  let source;
  try {
    source = resolveModelSource(config.model);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  log(source.description);
  await app.listen({host: config.host, port: config.port}).catch((error: Error) => fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`));

  let isShuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (isShuttingDown) {
      process.stderr.write(`inflight: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    isShuttingDown = true;
    log(`${signal}: draining and shutting down`);
    for (const model of registry.list()) await model.engine.drain();
    await app.close();
    await registry[Symbol.asyncDispose]();
    process.exit(0);
  };
  process.on("SIGINT", (signal) => void shutdown(signal));
  process.on("SIGTERM", (signal) => void shutdown(signal));

  try {
    const model = await createLlamaServedModel({
      name: config.modelName ?? source.defaultName,
      modelPath: source.path,
      gpu: config.gpu,
      threads: config.threads,
      parallel: config.parallel,
      ctxSize: config.ctxSize,
      batchSize: config.batchSize,
      maxNumBatchedTokens: config.maxBatchedTokens,
      maxQueueLength: config.maxQueue,
      policy: config.policy,
      isPreemptionEnabled: config.isPreemptionEnabled,
      requestTimeoutMs: config.requestTimeoutMs,
      log
    });
    registry.add(model);
    startupReason = "the model is warming up";
    const warmUpMs = await model.engine.warmUp(model.tokenize(WARM_UP_TEXT));
    log(`warm-up decode took ${Math.round(warmUpMs)} ms`);
    // Observed only now, so the warm-up is not in the metrics.
    metrics?.observeModel(model);
    startupReason = null;
    registry.markReady();
    const {backend} = model.runtime;
    log(`serving "${model.name}" on http://${config.host}:${config.port}/v1 ` +
      `(${backend.gpu}, ${backend.buildType} build, ${backend.threads} threads, ${config.parallel} sequences x ${config.ctxSize} tokens, ` +
      `libuv pool ${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}, template ${model.chatTemplateName})`);
  } catch (error) {
    fail(error instanceof EngineError ? error.message : `cannot load the model: ${(error as Error).message}`);
  }
}

void main();
