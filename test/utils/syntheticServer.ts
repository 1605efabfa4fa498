/**
 * Starts the real server on the tiny synthetic model (generated once into the cache), listening on
 * an ephemeral loopback port, for integration tests. Threads are pinned to 1 so tests stay stable on
 * a 2-core machine that is also running the test runner.
 */
import OpenAI from "openai";
import {createLlamaServedModel, type LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import {ModelRegistry} from "../../server/ModelRegistry.ts";
import type {SpeculationOptions} from "../../engine/speculationOptions.ts";
import type {StepRecord} from "../../engine/types.ts";
import {perSuite} from "./perSuite.ts";
import {type ServedApp, serveRegistry} from "./servedApp.ts";

export interface SyntheticServer extends ServedApp {
  readonly model: LlamaServedModel;
  readonly steps: StepRecord[];
}

export interface SyntheticServerOptions {
  readonly parallel?: number;
  readonly ctxSize?: number;
  readonly maxQueueLength?: number;
  /** Bytes of the host-memory prefix tier; 0 or unset: off. */
  readonly hostPrefixCacheBytes?: number;
  readonly isPrefixCachingEnabled?: boolean;
  readonly speculation?: SpeculationOptions;
}

export async function startSyntheticServer(options: SyntheticServerOptions = {}): Promise<SyntheticServer> {
  const source = resolveModelSource("synthetic:tiny");
  const model = await createLlamaServedModel({
    name: "tiny",
    modelPath: source.path,
    gpu: "off",
    threads: 1,
    parallel: options.parallel ?? 2,
    ctxSize: options.ctxSize ?? 512,
    batchSize: 256,
    maxQueueLength: options.maxQueueLength ?? 64,
    hostPrefixCacheBytes: options.hostPrefixCacheBytes,
    isPrefixCachingEnabled: options.isPrefixCachingEnabled,
    speculation: options.speculation,
    log: () => {}
  });
  const steps: StepRecord[] = [];
  model.engine.on("step", (record) => steps.push(record));
  const registry = new ModelRegistry();
  registry.add(model);
  return {...await serveRegistry(registry), model, steps};
}

/** The synthetic server of a test file, with an openai client of it. */
export interface SyntheticSuite {
  readonly server: SyntheticServer;
  readonly client: OpenAI;
}

/** Starts the synthetic server before the file's first test and disposes of it after the last. */
export function syntheticServerPerSuite(options: SyntheticServerOptions = {}): SyntheticSuite {
  const server = perSuite(() => startSyntheticServer(options));
  let client: OpenAI | undefined;
  return {
    get server() {
      return server();
    },
    get client() {
      client ??= new OpenAI({baseURL: `${server().url}/v1`, apiKey: "unused", maxRetries: 0});
      return client;
    }
  };
}
