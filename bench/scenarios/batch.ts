/**
 * Scenario: batch serving, in three modes against servers started here with the embedded store in a
 * temporary data directory.
 *
 * - `check`: a batch of `--lines` requests completes with exactly one output line per custom_id, each
 *   answer equal to the same request sent online (same seed; ids, times and timings aside); then a
 *   second batch of the same size is interrupted by SIGKILL at `--kill-at` of its requests, the server
 *   restarted on the same directory, and the batch must complete exactly once, the restarted server
 *   decoding only what was not answered before the kill (its `batch_requests_total`).
 * - `interference`: online requests at `--concurrency` (closed loop), rounds alternating between an
 *   idle server and one running a large batch; TTFT and TPOT p50 of each, and their ratio.
 * - `throughput`: output tokens/s of a batch with no online traffic, and of closed-loop online load at
 *   concurrency = `--parallel`, same requests (fixed length), alternating rounds; and their ratio.
 *
 *   npm run bench:batch -- --mode check --model synthetic:tiny --lines 5000
 *   npm run bench:batch -- --mode interference --model synthetic:tiny --concurrency 2
 *   npm run bench:batch -- --mode throughput --model synthetic:tiny
 */
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {median} from "../stats.ts";
import {batchLine, batchOutput, closedLoop, comparableBody, getBatch, submitBatch, waitBatch} from "./batchClient.ts";
import {printTableHeader, writeFiguresIfAsked} from "./scenarioOutput.ts";
import {parseScenarioOptions, SERVED_MODEL_NAME, servedModelArgs} from "./scenarioPreamble.ts";
import {type ServerProcess, startServerProcess} from "./serverProcess.ts";

const {options, modelPath} = parseScenarioOptions("batch", {
  threads: true, concurrency: {default: "2", help: "online requests in flight (interference)"},
  outputLen: {default: "4", help: "max_tokens of every request"}, rounds: {default: "3", help: "rounds per condition (interference, throughput)"}, json: true
}, [
  ["--mode <mode>", "check, interference or throughput", "check"],
  ["--lines <n>", "requests per batch (check, throughput)", "5000"],
  ["--online-requests <n>", "online requests per round (interference)", "64"],
  ["--parallel <n>", "server sequences", "4"],
  ["--kill-at <fraction>", "check: kill -9 once this fraction of the second batch is answered", "0.5"]
]);

const parallel = Number(options.parallel);
const maxTokens = Number(options.outputLen);
const dataDir = mkdtempSync(join(tmpdir(), "inflight-bench-batch-"));
const serverArgs = [...servedModelArgs({modelPath, parallel, threads: options.threads, ctxSize: 512}), "--data-dir", dataDir];
// One process (no re-launch by start.ts), so SIGKILL reaches the server itself.
async function startServer(): Promise<ServerProcess> {
  const server = await startServerProcess(serverArgs, {UV_THREADPOOL_SIZE: "1"});
  // Opens (on first use: creates) the store, so no measurement includes it.
  await fetch(`${server.url}/v1/files`);
  return server;
}

const bodyOf = (index: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: SERVED_MODEL_NAME, messages: [{role: "user", content: `Write about item number ${index}`}], max_tokens: maxTokens, temperature: 0.8, seed: index, ...extra
});

async function batchCounter(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((row) => row.startsWith("inflight:batch_requests_total{") && row.includes('status="completed"'));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

async function checkExactlyOnce(url: string, batchId: string, numLines: number) {
  const batch = await waitBatch(url, batchId);
  const lines = await batchOutput(url, batch);
  const ids = new Set(lines.map((line) => line.custom_id));
  return {batch, lines, isExactlyOnce: lines.length === numLines && ids.size === numLines && batch.request_counts.completed === numLines};
}

async function check(): Promise<unknown> {
  const numLines = Number(options.lines);
  const lines = Array.from({length: numLines}, (_, index) => batchLine(index, bodyOf(index)));
  let server = await startServer();
  const startMs = performance.now();
  const first = await checkExactlyOnce(server.url, (await submitBatch(server.url, lines)).id, numLines);
  const batchSeconds = (performance.now() - startMs) / 1000;
  const answers = new Map(first.lines.map((line) => [line.custom_id, comparableBody((line.response as {body: Record<string, unknown>}).body)]));
  let mismatches = 0;
  await closedLoop(server.url, lines.map((_, index) => bodyOf(index)), parallel,
    (index, body) => { if (answers.get(`request-${index}`) !== comparableBody(body)) mismatches++; });

  const second = await submitBatch(server.url, lines);
  await waitBatch(server.url, second.id, (batch) => batch.request_counts.completed >= numLines * Number(options.killAt), 10);
  server.child.kill("SIGKILL");
  await server[Symbol.asyncDispose]();
  const answeredAtKill = (await (server = await startServer(), getBatch(server.url, second.id))).request_counts.completed;
  const resumed = await checkExactlyOnce(server.url, second.id, numLines);
  const decodedAfterRestart = await batchCounter(server.url);
  await server[Symbol.asyncDispose]();
  printTableHeader(["batch", "lines", "seconds", "output lines", "unique custom_ids", "answers unlike online", "answered before kill", "decoded after restart"]);
  console.log(`| full | ${numLines} | ${batchSeconds.toFixed(1)} | ${first.lines.length} | ${new Set(first.lines.map((line) => line.custom_id)).size} | ${mismatches} | | |`);
  console.log(`| killed at ${options.killAt} | ${numLines} | | ${resumed.lines.length} | ${new Set(resumed.lines.map((line) => line.custom_id)).size} | | ${answeredAtKill} | ${decodedAfterRestart} |`);
  return {numLines, batchSeconds, isExactlyOnce: first.isExactlyOnce, mismatches, resumedExactlyOnce: resumed.isExactlyOnce, answeredAtKill, decodedAfterRestart};
}

async function interference(): Promise<unknown> {
  const server = await startServer();
  const numOnline = Number(options.onlineRequests);
  const concurrency = Number(options.concurrency);
  const pooled = {idle: [] as {ttftMs: number; tpotMs: number | null}[], batch: [] as {ttftMs: number; tpotMs: number | null}[]};
  // Batch requests answered while the online load ran beside the batch: how much room it found.
  const batchProgress = {answered: 0, seconds: 0};
  const background = Array.from({length: 50_000}, (_, index) => batchLine(index, bodyOf(index, {max_tokens: 64, ignore_eos: true})));
  for (let round = 0; round < Number(options.rounds); round++) {
    const online = Array.from({length: numOnline}, (_, index) => bodyOf(round * numOnline + index, {max_tokens: 32, ignore_eos: true}));
    pooled.idle.push(...await closedLoop(server.url, online, concurrency));
    const batch = await submitBatch(server.url, background);
    await waitBatch(server.url, batch.id, (state) => state.request_counts.completed >= parallel);
    const before = (await getBatch(server.url, batch.id)).request_counts.completed;
    const onlineStartMs = performance.now();
    pooled.batch.push(...await closedLoop(server.url, online, concurrency));
    batchProgress.seconds += (performance.now() - onlineStartMs) / 1000;
    batchProgress.answered += (await getBatch(server.url, batch.id)).request_counts.completed - before;
    await fetch(`${server.url}/v1/batches/${batch.id}/cancel`, {method: "POST"});
    await waitBatch(server.url, batch.id);
  }
  await server[Symbol.asyncDispose]();
  const p50 = (values: (number | null)[]) => median(values.filter((value): value is number => value !== null));
  const figures = Object.fromEntries(Object.entries(pooled).map(([key, results]) => [key, {ttftMs: p50(results.map((r) => r.ttftMs)), tpotMs: p50(results.map((r) => r.tpotMs))}]));
  printTableHeader(["online load", "TTFT p50 (ms)", "TPOT p50 (ms)"]);
  for (const [key, value] of Object.entries(figures)) console.log(`| concurrency ${concurrency}, ${key === "idle" ? "idle server" : "batch running"} | ${value.ttftMs.toFixed(1)} | ${value.tpotMs.toFixed(2)} |`);
  console.log(`| ratio | ${(figures.batch!.ttftMs / figures.idle!.ttftMs).toFixed(2)}x | ${(figures.batch!.tpotMs / figures.idle!.tpotMs).toFixed(2)}x |`);
  console.log(`batch requests answered while the online load ran: ${batchProgress.answered} in ${batchProgress.seconds.toFixed(1)} s`);
  return {...figures, batchProgress};
}

async function throughput(): Promise<unknown> {
  const server = await startServer();
  const numLines = Number(options.lines);
  const bodies = Array.from({length: numLines}, (_, index) => bodyOf(index, {ignore_eos: true}));
  const rates = {online: [] as number[], batch: [] as number[]};
  for (let round = 0; round < Number(options.rounds); round++) {
    const onlineStartMs = performance.now();
    const results = await closedLoop(server.url, bodies, parallel);
    rates.online.push(results.reduce((sum, result) => sum + result.completionTokens, 0) / ((performance.now() - onlineStartMs) / 1000));
    // The server keeps sequences from batches for a moment after online requests; not the batch's time.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const batchStartMs = performance.now();
    const done = await waitBatch(server.url, (await submitBatch(server.url, bodies.map((body, index) => batchLine(index, body)))).id);
    rates.batch.push(done.request_counts.completed * maxTokens / ((performance.now() - batchStartMs) / 1000));
  }
  await server[Symbol.asyncDispose]();
  printTableHeader(["load", "output tokens/s (median of rounds)"]);
  console.log(`| online, closed loop at concurrency ${parallel} | ${median(rates.online).toFixed(0)} |`);
  console.log(`| batch, no online traffic | ${median(rates.batch).toFixed(0)} |`);
  console.log(`| ratio | ${(median(rates.batch) / median(rates.online)).toFixed(2)}x |`);
  return rates;
}

try {
  const modes: Record<string, () => Promise<unknown>> = {check, interference, throughput};
  const run = modes[String(options.mode)];
  if (run === undefined) throw new Error(`--mode must be check, interference or throughput, got ${options.mode}`);
  writeFiguresIfAsked(options.json, await run());
} finally {
  rmSync(dataDir, {recursive: true, force: true});
}
