/**
 * The real app with the Files and Batches API over the tiny synthetic model and the embedded store in
 * a fresh temporary data directory, listening on loopback: the set-up of the in-process batch tests.
 * Disposing closes the app (the batch service with it), the engines, and removes the directory.
 */
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {createLlamaServedModel, type LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import type {AppOptions} from "../../server/app.ts";
import {BatchService, type BatchServiceOptions} from "../../server/batch/BatchService.ts";
import {ModelRegistry} from "../../server/ModelRegistry.ts";
import {type ServedApp, serveRegistry} from "../utils/servedApp.ts";

export interface BatchApp extends ServedApp {
  readonly model: LlamaServedModel;
  readonly service: BatchService;
  readonly dataDir: string;
}

export interface BatchAppOptions {
  readonly parallel?: number;
  readonly maxFileBytes?: number;
  readonly maxFiles?: number;
  readonly app?: Omit<AppOptions, "registry" | "batch">;
  readonly service?: Partial<BatchServiceOptions>;
}

export async function startBatchApp(options: BatchAppOptions = {}): Promise<BatchApp> {
  const model = await createLlamaServedModel({
    name: "tiny", modelPath: resolveModelSource("synthetic:tiny").path, gpu: "off", threads: 1,
    parallel: options.parallel ?? 4, ctxSize: 256, batchSize: 256, maxQueueLength: 64, log: () => {}
  });
  const registry = new ModelRegistry();
  registry.add(model);
  const dataDir = mkdtempSync(join(tmpdir(), "inflight-batch-test-"));
  const service = new BatchService({
    registry, dataDir, databaseUrl: undefined, maxInFlight: Number.POSITIVE_INFINITY, maxBesideOnline: 0, leaseTimeoutMs: 30_000, ...options.service
  });
  const served = await serveRegistry(registry, {
    ...options.app,
    batch: {service, fileLimits: {maxFileBytes: options.maxFileBytes ?? 1024 * 1024, maxFiles: options.maxFiles ?? 100}}
  });
  return {
    ...served, model, service, dataDir,
    async [Symbol.asyncDispose]() {
      await served[Symbol.asyncDispose]();
      rmSync(dataDir, {recursive: true, force: true});
    }
  };
}
