/**
 * /metrics on the real server and the tiny synthetic model (node-llama-cpp underneath): after known
 * traffic the counters equal the sums of what the responses reported (tokens, cached prefix tokens),
 * histograms hold one observation per request, TTFT matches each response's timings, and the gauges
 * show a running request and its KV, then return to 0, also after a client aborts.
 */
import {expect, it} from "vitest";
import {readSse} from "../utils/sse.ts";
import {perSuite} from "../utils/perSuite.ts";
import {startSyntheticServer} from "../utils/syntheticServer.ts";
import {type Completion, complete} from "./completionClient.ts";
import {type Scrape, scrape, scrapeWhen} from "./scrape.ts";

const MODEL = {model_name: "tiny", variant: "default"};
const CHAT = "/v1/chat/completions";
const server = perSuite(() => startSyntheticServer({parallel: 2, ctxSize: 4096}));

const total = (responses: readonly Completion[], of: (response: Completion) => number) => responses.reduce((sum, response) => sum + of(response), 0);
const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = MODEL) => after.value(name, labels) - before.value(name, labels);
const countDelta = (before: Scrape, after: Scrape, name: string) => after.histogram(name, MODEL).count - before.histogram(name, MODEL).count;
const sumDelta = (before: Scrape, after: Scrape, name: string) => after.histogram(name, MODEL).sum - before.histogram(name, MODEL).sum;

it("counts what the responses report", async () => {
  const before = await scrape(server().url);
  const system = {role: "system", content: "You are a helpful assistant who answers in one short paragraph."};
  const first = await complete(server().url, CHAT, {messages: [system, {role: "user", content: "Name a color."}], max_tokens: 6, ignore_eos: true, seed: 1});
  const concurrent = await Promise.all([
    complete(server().url, CHAT, {messages: [system, {role: "user", content: "Name a fruit."}], max_tokens: 9, ignore_eos: true, stream: true, stream_options: {include_usage: true}}),
    complete(server().url, "/v1/completions", {prompt: "Once upon a time", max_tokens: 5, ignore_eos: true}),
    complete(server().url, CHAT, {messages: [{role: "user", content: "Say one word."}], max_tokens: 1})
  ]);
  const responses = [first, ...concurrent];
  const after = await scrape(server().url);

  expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
  expect(delta(before, after, "inflight:request_success_total")).toBe(4);
  expect(delta(before, after, "inflight:prompt_tokens_total")).toBe(total(responses, (response) => response.usage!.prompt_tokens));
  expect(delta(before, after, "inflight:generation_tokens_total")).toBe(total(responses, (response) => response.usage!.completion_tokens));
  // The second chat shares the system prompt with the first: its sequence already holds that prefix.
  const cached = total(responses, (response) => response.usage!.prompt_tokens_details.cached_tokens);
  expect(cached).toBeGreaterThan(10);
  expect(delta(before, after, "inflight:prefix_cache_hits_total")).toBe(cached);
  expect(delta(before, after, "inflight:prefix_cache_queries_total")).toBe(total(responses, (response) => response.usage!.prompt_tokens));
  for (const name of ["inflight:e2e_request_latency_seconds", "inflight:request_queue_time_seconds", "inflight:request_prompt_tokens",
    "inflight:request_generation_tokens", "inflight:time_to_first_token_seconds"]) expect(countDelta(before, after, name), name).toBe(4);
  expect(countDelta(before, after, "inflight:inter_token_latency_seconds")).toBe(total(responses, (response) => response.usage!.completion_tokens - 1));
  expect(sumDelta(before, after, "inflight:time_to_first_token_seconds") * 1000)
    .toBeCloseTo(total(responses, (response) => response.timings!.ttft_ms!), 1);
  expect(after.value("inflight:num_requests_running", MODEL)).toBe(0);
  expect(after.value("inflight:num_requests_waiting", MODEL)).toBe(0);
  expect(after.value("inflight:kv_cache_usage_perc", MODEL)).toBe(0);
});

it("observes a request's TTFT as its timings report it, within 1 ms", async () => {
  const before = await scrape(server().url);
  const response = await complete(server().url, CHAT, {messages: [{role: "user", content: "Count to three."}], max_tokens: 4, ignore_eos: true, stream: true});
  const after = await scrape(server().url);
  expect(countDelta(before, after, "inflight:time_to_first_token_seconds")).toBe(1);
  expect(Math.abs(sumDelta(before, after, "inflight:time_to_first_token_seconds") * 1000 - response.timings!.ttft_ms!)).toBeLessThan(1);
  expect(Math.abs(sumDelta(before, after, "inflight:request_time_per_output_token_seconds") * 1000 - response.timings!.tpot_ms!)).toBeLessThan(1);
});

it("shows a running stream and its KV, and returns to 0 after the client aborts", async () => {
  const before = await scrape(server().url);
  const controller = new AbortController();
  const reply = await fetch(`${server().url}${CHAT}`, {
    method: "POST",
    signal: controller.signal,
    headers: {"content-type": "application/json"},
    body: JSON.stringify({messages: [{role: "user", content: "Go on forever."}], max_tokens: 4000, ignore_eos: true, stream: true})
  });
  const events = readSse(reply);
  for (let i = 0; i < 4; i++) await events.next();
  const during = await scrape(server().url);
  expect(during.value("inflight:num_requests_running", MODEL)).toBe(1);
  expect(during.value("inflight:kv_cache_usage_perc", MODEL)).toBeGreaterThan(0);
  controller.abort();
  await events.return(undefined).catch(() => {});
  const after = await scrapeWhen(server().url, "the aborted request is counted", (metrics) => delta(before, metrics, "inflight:request_success_total") > 0);
  expect(delta(before, after, "inflight:request_success_total", {...MODEL, finished_reason: "abort"})).toBe(1);
  expect(delta(before, after, "inflight:http_requests_total", {...MODEL, status_code: "499"})).toBe(1);
  expect(after.value("inflight:num_requests_running", MODEL)).toBe(0);
  expect(after.value("inflight:num_requests_waiting", MODEL)).toBe(0);
  expect(after.value("inflight:kv_cache_usage_perc", MODEL)).toBe(0);
});
