/**
 * Scenario: what the metrics cost. The same workload against two servers started here, identical but
 * for `--no-metrics`, in alternating rounds (A: metrics on, B: off). Prints output tokens/s and TPOT
 * for both and the ratio A / B.
 *
 *   npm run bench:metrics -- --model synthetic:small --concurrency 4 --output-len 128 --rounds 4
 */
import {runLoad} from "../runLoad.ts";
import {printTableHeader} from "./scenarioOutput.ts";
import {parseScenarioOptions, servedModelArgs, servedTarget} from "./scenarioPreamble.ts";
import {startServerProcess} from "./serverProcess.ts";

const {options, modelPath} = parseScenarioOptions("metricsOverhead", {concurrency: "4", outputLen: "128", threads: true, rounds: "4"});

const concurrency = Number(options.concurrency);
const common = servedModelArgs({modelPath, parallel: concurrency, threads: options.threads, ctxSize: 1024});
await using withMetrics = await startServerProcess(common);
await using withoutMetrics = await startServerProcess([...common, "--no-metrics"]);
const report = await runLoad({
  target: servedTarget(withMetrics),
  compare: servedTarget(withoutMetrics),
  workload: {kind: "concurrency", levels: [concurrency]},
  numRequests: concurrency * 2,
  rounds: Number(options.rounds),
  dataset: {kind: "random", inputLen: 16, outputLen: Number(options.outputLen), lenSpread: 0},
  isIgnoreEos: true,
  isMetricsEnabled: false
});
const [on, off] = report.levels[0]!.servers;
if (!on || !off || on.failed + off.failed > 0) throw new Error("a server failed requests");
console.log(`model ${modelPath}; concurrency ${concurrency}, ${options.outputLen} tokens per request, ${options.rounds} alternating rounds each`);
printTableHeader(["", "metrics on", "--no-metrics", "on / off"]);
console.log(`| output tokens/s | ${on.outputTokenThroughput.toFixed(1)} | ${off.outputTokenThroughput.toFixed(1)} | ${(on.outputTokenThroughput / off.outputTokenThroughput).toFixed(3)} |`);
console.log(`| TPOT median ms | ${on.tpotMs?.median.toFixed(2)} | ${off.tpotMs?.median.toFixed(2)} | ${((on.tpotMs?.median ?? NaN) / (off.tpotMs?.median ?? NaN)).toFixed(3)} |`);
