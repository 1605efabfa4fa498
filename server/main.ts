/**
 * The server process: parse flags, check the model source (or the variants file of `--config`),
 * listen (so /health answers while the models load), load, warm each engine up with one short decode
 * (so the first user does not pay for lazy native set-up), then serve; /ready says which of these it
 * is in. On SIGINT/SIGTERM stop admitting, drain, free everything and exit 0 (a second signal exits
 * at once). Owns the process lifecycle only.
 */
import {createLlamaServedModel, type LlamaServedModel} from "../engine/createLlamaServedModel.ts";
import {EngineError} from "../engine/errors.ts";
import {resolveModelSource} from "../engine/model/resolveModelSource.ts";
import type {SpeculationOptions} from "../engine/speculationOptions.ts";
import {buildApp} from "./app.ts";
import {type LoadedVariants, loadVariants} from "./canary/loadVariants.ts";
import {observeRouter} from "./canary/observeRouter.ts";
import {readVariantsFile, type VariantsFile, VariantsFileError} from "./canary/variantConfig.ts";
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
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (error) {
    fail((error as Error).message);
  }
  const registry = new ModelRegistry();
  const metrics = config.isMetricsEnabled ? new ServerMetrics() : null;
  // Readiness beyond the registry's "loading": the warm-up, which runs once the model is loaded.
  let startupReason: string | null = null;
  const app = buildApp({
    registry,
    logger: {level: config.logLevel},
    metrics,
    isPromptLogged: config.isPromptLogged,
    notReadyReason: () => startupReason,
    adminKey: config.adminKey,
    apiKeys: {keys: config.apiKeys, isObservabilityProtected: config.isObservabilityProtected},
    corsOrigins: config.corsOrigins,
    bodyLimitBytes: config.maxBodyBytes
  });
  const log = (message: string): void => app.log.info(message);
  let variantsFile: VariantsFile | null = null;
  let source;
  let draftSource;
  try {
    if (config.configFile !== undefined) variantsFile = readVariantsFile(config.configFile);
    else source = resolveModelSource(config.model);
  } catch (error) {
    fail(error instanceof EngineError || error instanceof VariantsFileError ? error.message : String(error));
  }
  try {
    if (config.speculation?.draftModel !== undefined) draftSource = resolveModelSource(config.speculation.draftModel);
  } catch (error) {
    fail(`--draft-model: ${error instanceof EngineError ? error.message : String(error)}`);
  }
  if (source) log(source.description);
  if (draftSource) log(`draft: ${draftSource.description}`);
  const speculation: SpeculationOptions | undefined = config.speculation && {
    mode: config.speculation.mode,
    draftModelPath: draftSource?.path,
    maxDraftTokens: config.speculation.maxDraftTokens,
    minDraftTokens: config.speculation.minDraftTokens,
    minDraftProbability: config.speculation.minDraftProbability,
    isAdaptive: config.speculation.isAdaptive
  };
  await app.listen({host: config.host, port: config.port}).catch((error: Error) => fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`));

  let loaded: LoadedVariants | null = null;
  let isShuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (isShuttingDown) {
      process.stderr.write(`inflight: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    isShuttingDown = true;
    log(`${signal}: refusing new requests, letting running ones finish (up to ${config.shutdownTimeoutMs / 1000} s)`);
    registry.stopAdmitting();
    // Past the timeout the rest end with what they have, with a final chunk and [DONE].
    await Promise.all(registry.list().map((model) => model.engine.drain(config.shutdownTimeoutMs)));
    await app.close();
    await registry[Symbol.asyncDispose]();
    // Shared weights go last: every context on them is gone by now.
    await loaded?.[Symbol.asyncDispose]();
    process.exit(0);
  };
  process.on("SIGINT", (signal) => void shutdown(signal));
  process.on("SIGTERM", (signal) => void shutdown(signal));

  const engineOptions = {
    gpu: config.gpu,
    threads: config.threads,
    parallel: config.parallel,
    ctxSize: config.ctxSize,
    batchSize: config.batchSize,
    maxQueue: config.maxQueue,
    policy: config.policy,
    isPreemptionEnabled: config.isPreemptionEnabled,
    requestTimeoutMs: config.requestTimeoutMs,
    prefixCacheMb: config.prefixCacheMb,
    isPrefixCachingEnabled: config.isPrefixCachingEnabled,
    log
  };
  const warmUp = async (model: LlamaServedModel, label: string): Promise<void> => {
    startupReason = variantsFile ? `the model is warming up (${label})` : "the model is warming up";
    const warmUpMs = await model.engine.warmUp(model.tokenize(WARM_UP_TEXT));
    log(`${label}: warm-up decode took ${Math.round(warmUpMs)} ms`);
  };
  const describe = (model: LlamaServedModel, label: string): string => {
    const {backend} = model.runtime;
    return `${label} (${backend.gpu}, ${backend.buildType} build, CPU features ${backend.cpuFeatures.join(" ") || "unknown"}, ${backend.threads} threads, ` +
      `${model.engine.scheduler.getSequences().length} sequences x ${model.contextLength} tokens, ` +
      `libuv pool ${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}, sampling ${backend.samplingPath}, template ${model.chatTemplateName}` +
      `${speculation ? `, speculative: ${speculation.mode === "draft" ? "draft model" : "ngram"}, up to ${speculation.maxDraftTokens} tokens${speculation.isAdaptive === false ? " always" : ", adaptive"}` : ""})`;
  };
  try {
    if (variantsFile) {
      loaded = await loadVariants(variantsFile, {
        ...engineOptions,
        maxBatchedTokens: config.maxBatchedTokens,
        warmUp: (model, variantName) => warmUp(model, `${model.name}/${variantName}`)
      });
      for (const router of loaded.routers) {
        registry.addRouter(router);
        // Observed only now, so the warm-ups are not in the metrics.
        observeRouter(router, metrics, app.log);
        for (const variant of router.variants) log(`serving ${describe(variant.model as LlamaServedModel, `"${router.name}" variant "${variant.name}"`)}`);
      }
      log(`${loaded.numLoadedModels} model file(s) loaded for ${registry.list().length} variant(s); API on http://${config.host}:${config.port}/v1`);
    } else {
      const model = await createLlamaServedModel({
        ...engineOptions,
        name: config.modelName ?? source!.defaultName,
        modelPath: source!.path,
        maxNumBatchedTokens: config.maxBatchedTokens,
        maxQueueLength: config.maxQueue,
        speculation
      });
      await warmUp(model, model.name);
      const router = registry.add(model);
      // Observed only now, so the warm-up is not in the metrics.
      observeRouter(router, metrics, app.log);
      log(`serving ${describe(model, `"${model.name}"`)} on http://${config.host}:${config.port}/v1`);
    }
    startupReason = null;
    registry.markReady();
  } catch (error) {
    fail(error instanceof EngineError ? error.message : `cannot load the model: ${(error as Error).message}`);
  }
}

void main();
