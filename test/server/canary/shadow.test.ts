/**
 * Shadow traffic: a shadow variant gets copies of user requests and its metrics are recorded, but it
 * never changes the user's response, never delays it, and never fails it: a shadow that fails every
 * request leaves users 100% successful, a very slow one leaves their latency alone, and a busy one has
 * its copies dropped first.
 */
import {afterEach, expect, it} from "vitest";
import {ServerMetrics} from "../../../server/metrics/ServerMetrics.ts";
import {Scrape} from "../scrape.ts";
import {type CanaryApp, chat, type FakeVariantSpec, startCanaryApp} from "./canaryApp.ts";

const apps: CanaryApp[] = [];

async function start(variants: readonly FakeVariantSpec[]): Promise<CanaryApp> {
  const started = await startCanaryApp({variants, app: {metrics: new ServerMetrics({isProcessMetricsEnabled: false})}});
  apps.push(started);
  return started;
}

async function metricsOf(app: CanaryApp): Promise<Scrape> {
  return new Scrape((await app.app.inject({method: "GET", url: "/metrics"})).body);
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 3000): Promise<void> {
  const deadlineMs = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadlineMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterEach(async () => {
  for (const app of apps.splice(0)) await app[Symbol.asyncDispose]();
});

const shadowOutcomes = async (app: CanaryApp) => {
  const metrics = await metricsOf(app);
  const of = (outcome: string) => metrics.value("inflight:shadow_requests_total", {model_name: "chat", variant: "mirror", outcome});
  return {completed: of("completed"), dropped: of("dropped"), failed: of("failed")};
};

it("leaves users 100% successful, with unchanged answers, when the shadow fails every request", async () => {
  const baseline = await start([{name: "stable", initialWeight: 1}]);
  const shadowed = await start([
    {name: "stable", initialWeight: 1},
    {name: "mirror", shadowRate: 1, fake: {failureRate: 1, numSequences: 4}}
  ]);
  for (let index = 0; index < 30; index++) {
    const body = {messages: [{role: "user", content: `question ${index}`}], seed: index, max_tokens: 6};
    const [expected, actual] = await Promise.all([chat(baseline.app, body), chat(shadowed.app, body)]);
    expect(actual.status).toBe(200);
    expect(actual.variant).toBe("stable");
    expect(actual.content).toBe(expected.content);
    expect(actual.content).toHaveLength(6);
  }
  await until(async () => {
    const outcomes = await shadowOutcomes(shadowed);
    return outcomes.failed + outcomes.dropped + outcomes.completed === 30;
  });
  const outcomes = await shadowOutcomes(shadowed);
  expect(outcomes.completed).toBe(0);
  expect(outcomes.failed).toBeGreaterThan(0);
  // The shadow's own engine metrics are recorded under its variant label.
  const metrics = await metricsOf(shadowed);
  expect(metrics.value("inflight:request_success_total", {model_name: "chat", variant: "mirror", finished_reason: "error"})).toBe(outcomes.failed);
  expect(metrics.value("inflight:request_success_total", {model_name: "chat", variant: "stable", finished_reason: "length"})).toBe(30);
  expect(metrics.value("inflight:http_requests_total", {route: "/v1/chat/completions", status_code: "200"})).toBe(30);
});

it("does not delay the user's request when the shadow is very slow", async () => {
  const shadowed = await start([
    {name: "stable", initialWeight: 1},
    {name: "mirror", shadowRate: 1, fake: {stepDelayMs: 1000}}
  ]);
  const startMs = performance.now();
  const answer = await chat(shadowed.app, {max_tokens: 8});
  expect(answer.status).toBe(200);
  // Eight fake steps take milliseconds; one step of the shadow alone takes 1 s.
  expect(performance.now() - startMs).toBeLessThan(500);
  await until(() => shadowed.router.shadows[0]!.model.engine.stats.numRunning === 1);
});

it("drops shadow copies first when the shadow engine is busy, and sends them at the lowest priority", async () => {
  const shadowed = await start([
    {name: "stable", initialWeight: 1, fake: {numSequences: 4}},
    {name: "mirror", shadowRate: 1, fake: {numSequences: 1, stepDelayMs: 300}}
  ]);
  const priorities: number[] = [];
  shadowed.router.shadows[0]!.model.engine.scheduler.addRequest = new Proxy(shadowed.router.shadows[0]!.model.engine.scheduler.addRequest, {
    apply(target, self, args: [{priority: number}]) {
      priorities.push(args[0].priority);
      return Reflect.apply(target, self, args);
    }
  });
  const answers = await Promise.all(Array.from({length: 6}, (_, index) => chat(shadowed.app, {max_tokens: 3, seed: index})));
  expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
  await until(async () => (await shadowOutcomes(shadowed)).dropped >= 1);
  const outcomes = await shadowOutcomes(shadowed);
  // One copy runs, one waits for the single sequence; the rest meet a queue and are dropped.
  expect(outcomes.dropped).toBeGreaterThanOrEqual(4);
  expect(priorities.length).toBeGreaterThan(0);
  expect(priorities.every((priority) => priority >= 2 ** 30)).toBe(true);
});

it("samples copies at the shadow rate", async () => {
  const shadowed = await start([
    {name: "stable", initialWeight: 1, fake: {numSequences: 4}},
    {name: "mirror", shadowRate: 0.2, fake: {numSequences: 4}}
  ]);
  for (let index = 0; index < 200; index++) expect((await chat(shadowed.app, {max_tokens: 1})).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await until(async () => shadowed.router.shadows[0]!.model.engine.stats.numRunning === 0);
  const outcomes = await shadowOutcomes(shadowed);
  const sent = outcomes.completed + outcomes.dropped + outcomes.failed;
  // Binomial(200, 0.2): mean 40, standard deviation about 5.7.
  expect(sent).toBeGreaterThan(15);
  expect(sent).toBeLessThan(65);
});
