/**
 * /metrics against known traffic on the fake model (the real engine loop and server, a fake executor
 * whose decode steps take a set time). Every check compares what /metrics says, read with a real
 * Prometheus text parser, with what the responses themselves reported: request and token counts,
 * histogram counts and sums, gauges during and after the load (client aborts included), and status
 * codes.
 */
import {describe, expect, it} from "vitest";
import {perSuite} from "../utils/perSuite.ts";
import {readSse} from "../utils/sse.ts";
import {createTurnClock} from "../utils/turnClock.ts";
import {type Completion, complete} from "./completionClient.ts";
import {startFakeApp} from "./fakeApp.ts";
import {type Scrape, scrape, scrapeWhen} from "./scrape.ts";

const MODEL = {model_name: "fake", variant: "default"} as const;
const CHAT = "/v1/chat/completions";
const TEXT = "/v1/completions";
const TTFT = "inflight:time_to_first_token_seconds";
const ITL = "inflight:inter_token_latency_seconds";
const TPOT = "inflight:request_time_per_output_token_seconds";
const E2E = "inflight:e2e_request_latency_seconds";
const QUEUE = "inflight:request_queue_time_seconds";
const SUCCESS = "inflight:request_success_total";
const HTTP = "inflight:http_requests_total";

const chat = (content: string, fields: Record<string, unknown> = {}) => ({messages: [{role: "user", content}], ...fields});
const streamed = {stream: true, stream_options: {include_usage: true}};
const total = <T>(items: readonly T[], of: (item: T) => number): number => items.reduce((sum, item) => sum + of(item), 0);

function counterDelta(before: Scrape, after: Scrape, name: string, labels: Record<string, string> = MODEL): number {
  return after.value(name, labels) - before.value(name, labels);
}

function histogramDelta(before: Scrape, after: Scrape, name: string) {
  const [from, to] = [before.histogram(name, MODEL), after.histogram(name, MODEL)];
  return {count: to.count - from.count, sum: to.sum - from.sum, bucket: (le: string) => (to.buckets.get(le) ?? 0) - (from.buckets.get(le) ?? 0)};
}

function expectIdle(metrics: Scrape): void {
  expect(metrics.value("inflight:num_requests_running", MODEL)).toBe(0);
  expect(metrics.value("inflight:num_requests_waiting", MODEL)).toBe(0);
  expect(metrics.value("inflight:kv_cache_usage_perc", MODEL)).toBe(0);
}

describe("metrics of known traffic", () => {
  // Per-turn engine time: a request's last token and its end, stamped in the same step's bookkeeping,
  // are then the same instant, so the per-token gaps add up to (n - 1) x TPOT exactly on a busy machine too.
  const server = perSuite(() => startFakeApp({numSequences: 2, stepDelayMs: 2, sequenceCapacity: 512, clock: createTurnClock()}));

  it("counts requests, tokens and latencies exactly as the responses report them", async () => {
    const before = await scrape(server().url);
    const reference = await complete(server().url, CHAT, chat("abc", {max_tokens: 8, seed: 5}));
    const stop = reference.text.slice(3, 5);
    const traffic: [typeof CHAT | typeof TEXT, Record<string, unknown>][] = [
      [CHAT, chat("hello there", {max_tokens: 5})],
      [CHAT, chat("stream me", {max_tokens: 7, ...streamed})],
      [CHAT, chat("abc", {max_tokens: 8, seed: 5, stop: [stop]})],
      [CHAT, chat("one", {max_tokens: 1})],
      [TEXT, {prompt: "once upon", max_tokens: 6}],
      [TEXT, {prompt: "a time", max_tokens: 3, ...streamed}]
    ];
    const responses: Completion[] = [reference, ...await Promise.all(traffic.map(([path, body]) => complete(server().url, path, body)))];
    const after = await scrape(server().url);

    expect(responses.map((response) => response.status)).toEqual(new Array(7).fill(200));
    expect(responses.map((response) => response.finishReason)).toEqual(["length", "length", "length", "stop", "length", "length", "length"]);
    const usages = responses.map((response) => response.usage!);
    const timings = responses.map((response) => response.timings!);
    expect(timings.map((timing) => timing.generated_tokens)).toEqual(usages.map((usage) => usage.completion_tokens));

    expect(counterDelta(before, after, SUCCESS)).toBe(7);
    expect(counterDelta(before, after, SUCCESS, {...MODEL, finished_reason: "stop"})).toBe(1);
    expect(counterDelta(before, after, SUCCESS, {...MODEL, finished_reason: "length"})).toBe(6);
    expect(counterDelta(before, after, HTTP, {...MODEL, route: CHAT, status_code: "200"})).toBe(5);
    expect(counterDelta(before, after, HTTP, {...MODEL, route: TEXT, status_code: "200"})).toBe(2);

    const numPromptTokens = total(usages, (usage) => usage.prompt_tokens);
    const numOutputTokens = total(usages, (usage) => usage.completion_tokens);
    expect(counterDelta(before, after, "inflight:prompt_tokens_total")).toBe(numPromptTokens);
    expect(counterDelta(before, after, "inflight:generation_tokens_total")).toBe(numOutputTokens);
    expect(histogramDelta(before, after, "inflight:request_prompt_tokens")).toMatchObject({count: 7, sum: numPromptTokens});
    expect(histogramDelta(before, after, "inflight:request_generation_tokens")).toMatchObject({count: 7, sum: numOutputTokens});

    for (const name of [TTFT, E2E, QUEUE, "inflight:request_prefill_time_seconds"]) expect(histogramDelta(before, after, name).count, name).toBe(7);
    expect(histogramDelta(before, after, TPOT).count).toBe(usages.filter((usage) => usage.completion_tokens >= 2).length);
    expect(histogramDelta(before, after, ITL).count).toBe(numOutputTokens - 7);
    expect(histogramDelta(before, after, TTFT).sum * 1000).toBeCloseTo(total(timings, (timing) => timing.ttft_ms!), 1);
    expect(histogramDelta(before, after, E2E).sum * 1000).toBeCloseTo(total(timings, (timing) => timing.e2e_ms), 1);
    expect(histogramDelta(before, after, QUEUE).sum * 1000).toBeCloseTo(total(timings, (timing) => timing.queue_ms), 1);
    expectIdle(after);
  });

  it("observes each request's TTFT, TPOT, queue and end-to-end time as its timings say, within 1 ms", async () => {
    for (let i = 0; i < 4; i++) {
      const before = await scrape(server().url);
      const response = await complete(server().url, CHAT, chat(`sequential ${i}`, {max_tokens: 3 + i, ...(i % 2 === 0 ? streamed : {})}));
      const after = await scrape(server().url);
      const timings = response.timings!;
      for (const [name, ms] of [[TTFT, timings.ttft_ms!], [TPOT, timings.tpot_ms!], [QUEUE, timings.queue_ms], [E2E, timings.e2e_ms]] as const) {
        const observed = histogramDelta(before, after, name);
        expect(observed.count, name).toBe(1);
        expect(Math.abs(observed.sum * 1000 - ms), name).toBeLessThan(1);
      }
      // Per token: the gaps between consecutive tokens add up to the decode time, (n - 1) x TPOT.
      expect(histogramDelta(before, after, ITL).sum * 1000).toBeCloseTo(timings.tpot_ms! * (2 + i), 0);
    }
  });

  it("puts timings, cached tokens and the request id and variant headers on responses", async () => {
    const prompt = chat("a long shared system prompt and then a question", {max_tokens: 4});
    const before = await scrape(server().url);
    const first = await complete(server().url, CHAT, prompt, {headers: {"x-request-id": "trace-42"}});
    const second = await complete(server().url, CHAT, prompt);
    const after = await scrape(server().url);

    expect(first.headers.get("x-request-id")).toBe("trace-42");
    expect(second.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers.get("x-model-variant")).toBe("default");
    const timings = first.timings!;
    expect(Object.keys(timings).sort()).toEqual(
      ["cached_tokens", "e2e_ms", "generated_tokens", "prompt_ms", "prompt_tokens", "queue_ms", "tpot_ms", "ttft_ms"]);
    expect(timings.ttft_ms!).toBeCloseTo(timings.queue_ms + timings.prompt_ms!, 2);
    expect(timings.e2e_ms).toBeGreaterThanOrEqual(timings.ttft_ms!);
    expect(timings).toMatchObject({prompt_tokens: first.usage!.prompt_tokens, generated_tokens: 4, cached_tokens: first.usage!.prompt_tokens_details.cached_tokens});
    // The same prompt again finds all of it but the last token in the sequence it left behind.
    expect(second.usage!.prompt_tokens_details.cached_tokens).toBe(second.usage!.prompt_tokens - 1);
    expect(second.timings!.cached_tokens).toBe(second.usage!.prompt_tokens_details.cached_tokens);
    expect(counterDelta(before, after, "inflight:prefix_cache_hits_total")).toBe(first.timings!.cached_tokens + second.timings!.cached_tokens);
    expect(counterDelta(before, after, "inflight:prefix_cache_queries_total")).toBe(first.usage!.prompt_tokens + second.usage!.prompt_tokens);
  });

  it("sends timings once per stream, on its last chunk", async () => {
    const plain = await complete(server().url, CHAT, chat("stream without usage", {max_tokens: 4, stream: true}));
    const withUsage = await complete(server().url, TEXT, {prompt: "stream with usage", max_tokens: 4, ...streamed});
    for (const response of [plain, withUsage]) {
      expect(response.headers.get("x-model-variant")).toBe("default");
      expect(response.headers.get("x-request-id")).toBeTruthy();
      expect(response.chunks.filter((chunk) => "timings" in chunk)).toHaveLength(1);
      expect(response.chunks.at(-1)!.timings).toMatchObject({generated_tokens: 4});
    }
    expect(plain.chunks.at(-1)!.choices).toMatchObject([{finish_reason: "length"}]);
    expect(plain.usage).toBeNull();
    expect(withUsage.chunks.at(-1)!.choices).toEqual([]);
    expect(withUsage.chunks.at(-1)!.usage).toMatchObject({completion_tokens: 4});
  });

  it("counts refused requests by status, with the model only when one was resolved", async () => {
    const before = await scrape(server().url);
    expect((await fetch(`${server().url}${CHAT}`, {method: "POST", headers: {"content-type": "application/json"}, body: "{}"})).status).toBe(400);
    expect((await complete(server().url, CHAT, chat("hi", {model: "nope"}))).status).toBe(404);
    expect((await complete(server().url, CHAT, chat("hi", {max_tokens: 1, messages: [{role: "user", content: "x".repeat(600)}]}))).status).toBe(400);
    expect((await fetch(`${server().url}/no/such/route`)).status).toBe(404);
    const after = await scrape(server().url);
    expect(counterDelta(before, after, HTTP, {model_name: "", route: CHAT, status_code: "400"})).toBe(1);
    expect(counterDelta(before, after, HTTP, {model_name: "", route: CHAT, status_code: "404"})).toBe(1);
    // Too long for the context: refused by the engine, so the model is known.
    expect(counterDelta(before, after, HTTP, {...MODEL, route: CHAT, status_code: "400"})).toBe(1);
    expect(counterDelta(before, after, HTTP, {route: "unmatched", status_code: "404"})).toBe(1);
    expect(counterDelta(before, after, SUCCESS)).toBe(0);
  });

  it("exports every documented metric, each engine series labelled with model and variant, and Node's process metrics", async () => {
    const metrics = await scrape(server().url);
    const expected: Record<string, string> = {
      [TTFT]: "HISTOGRAM", [ITL]: "HISTOGRAM", [TPOT]: "HISTOGRAM", [E2E]: "HISTOGRAM", [QUEUE]: "HISTOGRAM",
      "inflight:request_prompt_tokens": "HISTOGRAM", "inflight:request_generation_tokens": "HISTOGRAM",
      "inflight:num_requests_running": "GAUGE", "inflight:num_requests_waiting": "GAUGE", "inflight:kv_cache_usage_perc": "GAUGE",
      "inflight:cache_config_info": "GAUGE",
      "inflight:prompt_tokens_total": "COUNTER", "inflight:generation_tokens_total": "COUNTER", [SUCCESS]: "COUNTER",
      "inflight:num_preemptions_total": "COUNTER", "inflight:prefix_cache_queries_total": "COUNTER", "inflight:prefix_cache_hits_total": "COUNTER",
      "inflight:spec_decode_num_draft_tokens_total": "COUNTER", "inflight:spec_decode_num_accepted_tokens_total": "COUNTER",
      "nodejs_eventloop_lag_seconds": "GAUGE", "nodejs_eventloop_lag_p99_seconds": "GAUGE", "process_cpu_seconds_total": "COUNTER",
      "process_resident_memory_bytes": "GAUGE", "nodejs_heap_size_used_bytes": "GAUGE"
    };
    for (const [name, type] of Object.entries(expected)) expect(metrics.types.get(name), name).toBe(type);
    // Series that exist before any request of their kind, at 0, so rates and ratios are defined.
    expect(metrics.value("inflight:spec_decode_num_draft_tokens_total", MODEL)).toBe(0);
    expect(metrics.value(SUCCESS, {...MODEL, finished_reason: "timeout"})).toBe(0);
    const engineLines = metrics.text.split("\n").filter((line) => line.startsWith("inflight:") && !line.startsWith(HTTP));
    expect(engineLines.length).toBeGreaterThan(50);
    for (const line of engineLines) expect(line).toContain('model_name="fake",variant="default"');
  });

  it("describes the KV cache's shape in cache_config_info's labels, as an endpoint picker reads them", async () => {
    const metrics = await scrape(server().url);
    // 2 sequences of 512 tokens in blocks of 16.
    const shape = {...MODEL, block_size: "16", num_gpu_blocks: String(2 * 512 / 16)};
    expect(metrics.value("inflight:cache_config_info", shape)).toBe(1);
    expect(metrics.value("inflight:cache_config_info")).toBe(1);
  });
});

describe("metrics under load, with controlled step times", () => {
  const server = perSuite(() => startFakeApp({numSequences: 1, stepDelayMs: 10, sequenceCapacity: 4096}));

  it("shows running and waiting requests and KV usage while they run, and 0 after", async () => {
    const before = await scrape(server().url);
    const pending = [0, 1, 2].map((i) => complete(server().url, CHAT, chat(`queued ${i}`, {max_tokens: 20, ...streamed})));
    // KV usage counts the tokens a sequence holds, so it shows from the end of the first step on.
    const loaded = await scrapeWhen(server().url, "one request running, two waiting, KV in use", (metrics) => metrics.value("inflight:num_requests_running", MODEL) === 1 &&
      metrics.value("inflight:num_requests_waiting", MODEL) === 2 && metrics.value("inflight:kv_cache_usage_perc", MODEL) > 0);
    expect(loaded.value("inflight:kv_cache_usage_perc", MODEL)).toBeLessThan(0.01);
    const responses = await Promise.all(pending);
    const after = await scrape(server().url);
    expectIdle(after);

    // One sequence: each request waits for the 20 steps of 10 ms of every request before it.
    const queueMs = responses.map((response) => response.timings!.queue_ms).sort((a, b) => a - b);
    expect(queueMs[1]).toBeGreaterThanOrEqual(190);
    expect(queueMs[2]).toBeGreaterThanOrEqual(380);
    for (const response of responses) expect(response.timings!.tpot_ms).toBeGreaterThanOrEqual(9);
    // No gap between two tokens can be shorter than a step; the two queued requests sit above 150 ms.
    const itl = histogramDelta(before, after, ITL);
    expect(itl.count).toBe(57);
    expect(itl.bucket("0.0075")).toBe(0);
    expect(itl.bucket("+Inf")).toBe(57);
    const queue = histogramDelta(before, after, QUEUE);
    expect(queue.count - queue.bucket("0.15")).toBe(2);
  });

  it("counts clients that leave as aborts and 499s, and the gauges return to 0", async () => {
    const before = await scrape(server().url);
    const body = (content: string, stream: boolean) => JSON.stringify(chat(content, {max_tokens: 2000, ...(stream ? streamed : {})}));
    const post = (content: string, stream: boolean, signal: AbortSignal) =>
      fetch(`${server().url}${CHAT}`, {method: "POST", signal, headers: {"content-type": "application/json"}, body: body(content, stream)});

    const running = new AbortController();
    const runningEvents = readSse(await post("runs then leaves", true, running.signal));
    for (let i = 0; i < 3; i++) await runningEvents.next();
    const waiting = new AbortController();
    const waitingEvents = readSse(await post("waits then leaves", true, waiting.signal));
    await waitingEvents.next(); // the role chunk goes out at once, before the request runs
    const silent = new AbortController();
    const silentReply = post("never streamed", false, silent.signal).catch(() => null);
    const loaded = await scrapeWhen(server().url, "two requests waiting", (metrics) => metrics.value("inflight:num_requests_waiting", MODEL) === 2);
    expect(loaded.value("inflight:num_requests_running", MODEL)).toBe(1);

    // The waiting ones leave first, so neither gets the sequence the running one frees.
    waiting.abort();
    silent.abort();
    await Promise.all([waitingEvents.return(undefined).catch(() => {}), silentReply]);
    await scrapeWhen(server().url, "the waiting requests are gone", (metrics) => metrics.value("inflight:num_requests_waiting", MODEL) === 0);
    running.abort();
    await runningEvents.return(undefined).catch(() => {});
    const after = await scrapeWhen(server().url, "three requests finished", (metrics) => counterDelta(before, metrics, SUCCESS) === 3);
    expectIdle(after);
    expect(counterDelta(before, after, SUCCESS, {...MODEL, finished_reason: "abort"})).toBe(3);
    expect(counterDelta(before, after, HTTP, {...MODEL, route: CHAT, status_code: "499"})).toBe(3);
    expect(histogramDelta(before, after, E2E).count).toBe(3);
    // Only the request that ran produced tokens; the two that waited never got a first one.
    expect(histogramDelta(before, after, TTFT).count).toBe(1);
    expect(counterDelta(before, after, "inflight:generation_tokens_total")).toBe(histogramDelta(before, after, "inflight:request_generation_tokens").sum);
  });
});

describe("metrics switched off, and refusals", () => {
  it("serves no /metrics with metrics off, but still answers with timings and headers", async () => {
    const server = await startFakeApp({app: {metrics: null}});
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      const response = await complete(server.url, CHAT, chat("hi", {max_tokens: 3}));
      expect(response.status).toBe(200);
      expect(response.timings).toMatchObject({generated_tokens: 3});
      expect(response.headers.get("x-model-variant")).toBe("default");
      expect(server.model.engine.listenerCount("step")).toBe(0);
    } finally {
      await server[Symbol.asyncDispose]();
    }
  });

  it("refuses requests beyond the queue with 429, counted with the model", async () => {
    const server = await startFakeApp({numSequences: 1, maxQueueLength: 1, stepDelayMs: 5});
    try {
      const admitted = [complete(server.url, CHAT, chat("runs", {max_tokens: 200})), complete(server.url, CHAT, chat("waits", {max_tokens: 200}))];
      await scrapeWhen(server.url, "one request waiting", (metrics) => metrics.value("inflight:num_requests_waiting", MODEL) === 1);
      const refused = await complete(server.url, CHAT, chat("refused", {max_tokens: 3}));
      expect(refused.status).toBe(429);
      expect(refused.headers.get("x-model-variant")).toBe("default");
      expect((await Promise.all(admitted)).map((response) => response.status)).toEqual([200, 200]);
      const metrics = await scrape(server.url);
      expect(metrics.value(HTTP, {...MODEL, route: CHAT, status_code: "429"})).toBe(1);
      expect(metrics.value(HTTP, {...MODEL, route: CHAT, status_code: "200"})).toBe(2);
      expect(metrics.value(SUCCESS, MODEL)).toBe(2);
    } finally {
      await server[Symbol.asyncDispose]();
    }
  });
});
