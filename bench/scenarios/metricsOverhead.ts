/**
 * Scenario: what the metrics cost. The same workload against two servers started here, identical but
 * for `--no-metrics`, in alternating rounds (A: metrics on, B: off). Prints output tokens/s and TPOT
 * for both and the ratio A / B.
 *
 *   npm run bench:metrics -- --model synthetic:small --concurrency 4 --output-len 128 --rounds 4
 */
import {cpus} from "node:os";
import {Command} from "commander";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import {runLoad} from "../runLoad.ts";
import {startServerProcess} from "./serverProcess.ts";

const options = new Command("metricsOverhead")
  .option("--model <model>", "GGUF path or synthetic:NAME", "synthetic:small")
  .option("--concurrency <n>", "requests in flight", "4")
  .option("--output-len <n>", "tokens per request", "128")
  .option("--threads <n>", "llama.cpp threads", String(Math.min(2, cpus().length)))
  .option("--rounds <n>", "rounds per server (alternating)", "4")
  .parse()
  .opts();

const source = resolveModelSource(options.model);
const concurrency = Number(options.concurrency);
const common = ["--model", source.path, "--model-name", "bench", "--parallel", String(concurrency), "--threads", options.threads, "--ctx-size", "1024"];
await using withMetrics = await startServerProcess(common);
await using withoutMetrics = await startServerProcess([...common, "--no-metrics"]);
const report = await runLoad({
  target: {url: withMetrics.url, model: "bench"},
  compare: {url: withoutMetrics.url, model: "bench"},
  workload: {kind: "concurrency", levels: [concurrency]},
  numRequests: concurrency * 2,
  rounds: Number(options.rounds),
  dataset: {kind: "random", inputLen: 16, outputLen: Number(options.outputLen), lenSpread: 0},
  isIgnoreEos: true,
  isMetricsEnabled: false
});
const [on, off] = report.levels[0]!.servers;
if (!on || !off || on.failed + off.failed > 0) throw new Error("a server failed requests");
console.log(`model ${source.path}; concurrency ${concurrency}, ${options.outputLen} tokens per request, ${options.rounds} alternating rounds each`);
console.log("| | metrics on | --no-metrics | on / off |");
console.log("|---|---|---|---|");
console.log(`| output tokens/s | ${on.outputTokenThroughput.toFixed(1)} | ${off.outputTokenThroughput.toFixed(1)} | ${(on.outputTokenThroughput / off.outputTokenThroughput).toFixed(3)} |`);
console.log(`| TPOT median ms | ${on.tpotMs?.median.toFixed(2)} | ${off.tpotMs?.median.toFixed(2)} | ${((on.tpotMs?.median ?? NaN) / (off.tpotMs?.median ?? NaN)).toFixed(3)} |`);
