/**
 * `npm run batch -- --input in.jsonl --output out.jsonl [--error-output errors.jsonl] [server flags]`:
 * runs a batch file offline, without the HTTP server, as vLLM's `run-batch` does. The input is
 * validated as `POST /v1/batches` validates it (the endpoint is the first line's `url`); every other
 * flag is the server's (`--model`, `--parallel`, `--threads`, ...). Answers with status 200 go to the
 * output file and the others to the error file (the output file when none is given), one line per
 * `custom_id`, in input order. A progress bar goes to stderr.
 */
import {createReadStream, createWriteStream, readFileSync} from "node:fs";
import cliProgress from "cli-progress";
import {parseConfig} from "../../config.ts";
import {ModelRegistry} from "../../ModelRegistry.ts";
import {loadServedModels} from "../../models/loadServedModels.ts";
import {servedModelSpecsOf} from "../../models/servedModelSpecs.ts";
import {BATCH_ENDPOINTS, type BatchEndpoint} from "../types.ts";
import {validateInput} from "../validateInput.ts";
import {runBatchLines} from "./runBatchLines.ts";

const OWN_FLAGS = ["--input", "--output", "--error-output"] as const;

function fail(message: string): never {
  process.stderr.write(`inflight batch: ${message}\n`);
  process.exit(1);
}

/** Splits this command's own flags from the server's. */
function splitArgs(argv: readonly string[]): {own: Map<string, string>; rest: string[]} {
  const own = new Map<string, string>();
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(OWN_FLAGS as readonly string[]).includes(flag)) {
      rest.push(arg);
      continue;
    }
    const value = inline ?? argv[++index];
    if (value === undefined) fail(`${flag} needs a value`);
    own.set(flag, value);
  }
  return {own, rest};
}

/** The batch's endpoint: the `url` of the first line that names one of the two. */
function endpointOf(path: string): BatchEndpoint {
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim().length === 0) continue;
    try {
      const url = (JSON.parse(line) as {url?: unknown}).url;
      if ((BATCH_ENDPOINTS as readonly unknown[]).includes(url)) return url as BatchEndpoint;
    } catch {
      // validation reports the line
    }
    break;
  }
  return BATCH_ENDPOINTS[0];
}

async function main(): Promise<void> {
  const {own, rest} = splitArgs(process.argv.slice(2));
  const input = own.get("--input") ?? fail("--input is required");
  const output = own.get("--output") ?? fail("--output is required");
  const config = parseConfig(rest);
  const registry = new ModelRegistry();
  const loaded = await loadServedModels(servedModelSpecsOf(config), {gpu: config.engine.gpu, log: (message) => process.stderr.write(`${message}\n`)});
  for (const router of loaded.routers) registry.addRouter(router);
  registry.markReady();
  const endpoint = endpointOf(input);
  const validated = await validateInput(registry, endpoint, createReadStream(input));
  if (validated.errors.length > 0) {
    for (const error of validated.errors) process.stderr.write(`line ${error.line ?? "-"}: ${error.code}: ${error.message}\n`);
    fail(`${input} is not a valid batch`);
  }
  const outputStream = createWriteStream(output);
  const errorPath = own.get("--error-output");
  const errorStream = errorPath === undefined ? outputStream : createWriteStream(errorPath);
  const bar = new cliProgress.SingleBar({stream: process.stderr, format: "batch [{bar}] {value}/{total} | failed {failed} | {eta_formatted} left"},
    cliProgress.Presets.shades_classic);
  let numFailed = 0;
  bar.start(validated.lines.length, 0, {failed: 0});
  await runBatchLines(registry, endpoint, validated.lines, ({resultLine, isSuccess}) => {
    if (!isSuccess) numFailed++;
    (isSuccess ? outputStream : errorStream).write(`${resultLine}\n`);
    bar.increment(1, {failed: numFailed});
  });
  bar.stop();
  await Promise.all([...new Set([outputStream, errorStream])].map((stream) => new Promise((resolve) => stream.end(resolve))));
  process.stderr.write(`${validated.lines.length - numFailed} completed, ${numFailed} failed: ${output}${errorPath ? `, ${errorPath}` : ""}\n`);
  await registry[Symbol.asyncDispose]();
  await loaded[Symbol.asyncDispose]();
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
