/**
 * The soak: a long, bounded run of mixed load against our server in its own process on loopback, to
 * show that it keeps answering and that nothing accumulates. Steady clients send streamed and whole
 * chat completions, some abandoned mid-stream or right after sending; every `--burst-every` seconds a
 * burst of more requests than the queue holds arrives at once, and the overflow must get 429 with
 * Retry-After. RSS of the server is read from /proc after a warm-up (start), halfway (middle) and once
 * the load has stopped and settled (end); at the end `/v1/stats` and `/metrics` must show nothing
 * running or waiting. Prints a summary with pass/fail checks (exit code 1 on a failure) and writes
 * every figure with `--json FILE`.
 *
 *   npm run bench:soak                       # 10 minutes on synthetic:tiny
 *   npm run bench:soak -- --duration 60 --json soak.json
 */
import {writeFileSync} from "node:fs";
import {Command} from "commander";
import {resolveModelSource} from "../engine/model/resolveModelSource.ts";
import {parsePrometheusText} from "./promMetrics.ts";
import {createRng, type Rng} from "./random.ts";
import {startServerProcess} from "./scenarios/serverProcess.ts";
import {processRssBytes} from "./soak/processRss.ts";
import {checksOf, type EndState, OutcomeTally, renderSummary, type RssReading, rssGrowth, type SoakSummary} from "./soak/soakReport.ts";
import {runSoakRequest, type SoakRequestSpec} from "./soak/soakRequest.ts";

const options = new Command("soak")
  .option("--model <model>", "GGUF path or synthetic:NAME", "synthetic:tiny")
  .option("--duration <s>", "seconds of measured load, after the warm-up", "600")
  .option("--warmup <s>", "seconds of the same load before the first RSS reading (default: a tenth of the duration, 10 to 60)")
  .option("--concurrency <n>", "steady clients", "8")
  .option("--parallel <n>", "server --parallel", "4")
  .option("--ctx-size <n>", "server --ctx-size", "512")
  .option("--max-queue <n>", "server --max-queue; bursts go beyond it", "16")
  .option("--threads <n>", "server llama.cpp threads", "1")
  .option("--max-tokens <n>", "most tokens a request asks for", "48")
  .option("--burst-every <s>", "seconds between overload bursts", "15")
  .option("--rss-every <s>", "seconds between RSS readings", "5")
  .option("--seed <n>", "seed of every random choice", "1")
  .option("--json <file>", "write every figure here")
  .parse()
  .opts<Record<string, string | undefined>>();

const int = (name: string, min: number): number => {
  const value = Number(options[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be an integer >= ${min}`);
  return value;
};
const durationSeconds = int("duration", 1);
const warmupSeconds = options.warmup === undefined ? Math.min(60, Math.max(10, Math.round(durationSeconds / 10))) : int("warmup", 0);
const concurrency = int("concurrency", 1);
const parallel = int("parallel", 1);
const maxQueue = int("maxQueue", 0);
const maxTokens = int("maxTokens", 2);
const burstEverySeconds = int("burstEvery", 1);
const rssEverySeconds = int("rssEvery", 1);
/** Enough at once to fill every sequence and the queue while the steady clients hold theirs. */
const burstSize = maxQueue + parallel + concurrency;

const WORDS = ["the", "model", "serves", "many", "users", "at", "once", "with", "batching", "tokens", "stream", "queue"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function promptOf(rng: Rng): string {
  return Array.from({length: rng.int(3, 60)}, () => WORDS[rng.int(0, WORDS.length - 1)]).join(" ");
}

/** The steady mix: 40% streamed, 30% whole, 20% streams left after k chunks, 10% left after a few ms. */
function steadySpec(rng: Rng): SoakRequestSpec {
  const roll = rng.next();
  const base = {prompt: promptOf(rng), maxTokens: rng.int(2, maxTokens)};
  if (roll < 0.4) return {...base, kind: "stream", isStreamed: true};
  if (roll < 0.7) return {...base, kind: "whole", isStreamed: false};
  if (roll < 0.9) return {...base, kind: "abandonedStream", isStreamed: true, maxTokens, leaveAfterChunks: rng.int(0, maxTokens - 1)};
  return {...base, kind: "abandonedEarly", isStreamed: rng.next() < 0.5, leaveAfterMs: rng.int(0, 50)};
}

async function endState(url: string): Promise<EndState> {
  let leakedRequests = Number.NaN;
  // Abandoned requests are freed at the next step; give the engine a moment before calling one leaked.
  for (let attempt = 0; attempt < 100; attempt++) {
    const stats = (await (await fetch(`${url}/v1/stats`)).json()) as {models: {running: number; waiting: number}[]};
    leakedRequests = stats.models.reduce((sum, model) => sum + model.running + model.waiting, 0);
    if (leakedRequests === 0) break;
    await sleep(100);
  }
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) return {leakedRequests, metricsRunning: null, metricsWaiting: null};
  const samples = parsePrometheusText(await response.text()).samples;
  const sum = (name: string) => samples.filter((sample) => sample.name === name).reduce((total, sample) => total + sample.value, 0);
  return {leakedRequests, metricsRunning: sum("inflight:num_requests_running"), metricsWaiting: sum("inflight:num_requests_waiting")};
}

async function main(): Promise<void> {
  const seed = int("seed", 0);
  const source = resolveModelSource(options.model!);
  // UV_THREADPOOL_SIZE set: server/start.ts runs the server in its own process, so its pid is the server's.
  const server = await startServerProcess([
    "--model", source.path, "--model-name", "soak", "--parallel", String(parallel), "--ctx-size", options.ctxSize!,
    "--max-queue", String(maxQueue), "--threads", options.threads!
  ], {UV_THREADPOOL_SIZE: "1"});
  try {
    await soak(server.url, server.child.pid!, seed);
  } finally {
    // How long a graceful stop (SIGTERM) takes after a soak is a figure of its own: it should be quick.
    const stopStartMs = Date.now();
    await server[Symbol.asyncDispose]();
    console.log(`server stopped ${((Date.now() - stopStartMs) / 1000).toFixed(1)} s after SIGTERM`);
  }
}

async function soak(url: string, pid: number, seed: number): Promise<void> {
  const warmup = new OutcomeTally();
  const measured = new OutcomeTally();
  const series: RssReading[] = [];
  const startMs = Date.now() + warmupSeconds * 1000;
  const endMs = startMs + durationSeconds * 1000;
  const tallyNow = () => (Date.now() < startMs ? warmup : measured);
  const secondsSinceStart = () => (Date.now() - startMs) / 1000;
  console.log(`soak: ${options.model} (pid ${pid}) at ${url}; ${warmupSeconds} s warm-up, then ${durationSeconds} s; ` +
    `${concurrency} steady clients, a burst of ${burstSize} every ${burstEverySeconds} s`);

  const steady = Array.from({length: concurrency}, async (_, worker) => {
    const rng = createRng(seed * 1_000 + worker);
    while (Date.now() < endMs) {
      const spec = steadySpec(rng);
      const outcome = await runSoakRequest(url, spec);
      tallyNow().add(spec.kind, outcome);
      // A refused client waits as told (the server's Retry-After is 1 s) instead of hammering the queue.
      if (outcome === "rate_limited") await sleep(1_000);
    }
  });
  const bursts = (async () => {
    const rng = createRng(seed * 1_000 + 999);
    for (let next = Date.now() + burstEverySeconds * 1000; next < endMs; next += burstEverySeconds * 1000) {
      await sleep(next - Date.now());
      const tally = tallyNow();
      await Promise.all(Array.from({length: burstSize}, async () => {
        const outcome = await runSoakRequest(url, {kind: "burst", isStreamed: rng.next() < 0.5, prompt: promptOf(rng), maxTokens: rng.int(2, 8)});
        tally.add("burst", outcome);
      }));
    }
  })();
  const readings = (async () => {
    for (let next = startMs; next <= endMs; next += rssEverySeconds * 1000) {
      await sleep(next - Date.now());
      const bytes = processRssBytes(pid);
      if (bytes !== null) series.push({atSeconds: secondsSinceStart(), bytes});
      process.stdout.write(`\r  ${secondsSinceStart().toFixed(0)} / ${durationSeconds} s, ${measured.total()} requests, ` +
        `${measured.total("ok")} ok, ${measured.total("rate_limited")} x 429   `);
    }
  })();
  await Promise.all([...steady, bursts, readings]);
  process.stdout.write("\n");

  const end = await endState(url);
  const endBytes = processRssBytes(pid);
  const middle = series.reduce<RssReading | null>((best, reading) =>
    best === null || Math.abs(reading.atSeconds - durationSeconds / 2) < Math.abs(best.atSeconds - durationSeconds / 2) ? reading : best, null);
  const summary: SoakSummary = {
    durationSeconds,
    warmupSeconds,
    measured,
    warmup,
    rss: {start: series[0] ?? null, middle, end: endBytes === null ? null : {atSeconds: secondsSinceStart(), bytes: endBytes}, series},
    end
  };
  console.log(renderSummary(summary));
  const checks = checksOf(summary);
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify({options: {...options, burstSize, warmupSeconds}, ...summary, rssGrowth: rssGrowth(summary), checks}, null, 2)}\n`);
  }
  if (checks.some((check) => !check.isPassed)) process.exitCode = 1;
}

await main();
