/**
 * The model a run sends when none was named: the first one the server lists at `GET /v1/models`,
 * the way OpenAI-compatible clients pick a default. Asked once per server, before the warm-up, so
 * that `npm run bench -- --url ...` works against any server without knowing its model names.
 */
import {BenchConfigError} from "./config.ts";
import type {BenchConfig, RunConfig, ServedTarget, TargetConfig} from "./types.ts";

/** A server that does not answer this fast is given up on: the run would fail anyway. */
const LOOKUP_TIMEOUT_MS = 10_000;

/**
 * `config` with a model for every target: the one given, else the server's first.
 * @throws BenchConfigError (field `target.model` or `compare.model`) when a server cannot be asked
 *   or lists no model.
 */
export async function withServedModels(config: BenchConfig, signal?: AbortSignal): Promise<RunConfig> {
  const {compare, ...rest} = config;
  const target = await servedTarget("target", config.target, signal);
  if (compare === undefined) return {...rest, target};
  return {...rest, target, compare: await servedTarget("compare", compare, signal)};
}

async function servedTarget(field: "target" | "compare", target: TargetConfig, signal?: AbortSignal): Promise<ServedTarget> {
  const model = target.model ?? (await firstServedModel(field, target, signal));
  return {...target, model};
}

/**
 * The `id` of the first entry of the server's `GET /v1/models` list.
 * @throws BenchConfigError when the request fails, is refused, or the list is empty.
 */
export async function firstServedModel(field: "target" | "compare", target: TargetConfig, signal?: AbortSignal): Promise<string> {
  const url = `${target.url}/v1/models`;
  const flag = field === "target" ? "--model" : "--compare-model";
  const fail = (why: string): BenchConfigError => new BenchConfigError(`${field}.model`, `not given, and ${why}; name one with ${flag}`);
  const timeout = AbortSignal.timeout(LOOKUP_TIMEOUT_MS);
  let body: unknown;
  try {
    const response = await fetch(url, {
      headers: target.apiKey === undefined ? {} : {authorization: `Bearer ${target.apiKey}`},
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw fail(`GET ${url} answered HTTP ${response.status}`);
    }
    body = await response.json();
  } catch (error) {
    if (error instanceof BenchConfigError) throw error;
    throw fail(`GET ${url} failed (${describe(error)})`);
  }
  const id = firstId(body);
  if (id === undefined) throw fail(`GET ${url} lists no model`);
  return id;
}

function firstId(body: unknown): string | undefined {
  const data = typeof body === "object" && body !== null ? (body as {data?: unknown}).data : undefined;
  const first: unknown = Array.isArray(data) ? data[0] : undefined;
  const id = typeof first === "object" && first !== null ? (first as {id?: unknown}).id : undefined;
  return typeof id === "string" && id !== "" ? id : undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch reports a refused connection as "fetch failed" with the reason in `cause`.
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
