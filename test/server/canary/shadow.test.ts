/**
 * Shadow traffic: a shadow variant gets copies of user requests and its metrics are recorded, but it
 * never changes the user's response, never delays it, and never fails it: a shadow that fails every
 * request leaves users 100% successful, users get their answers while a stalled one has not finished
 * a step, and a busy one has its copies dropped first.
 */
import {afterEach, expect, it} from "vitest";
import type {ShadowOutcome} from "../../../server/canary/types.ts";
import {ServerMetrics} from "../../../server/metrics/ServerMetrics.ts";
import {eventually} from "../../utils/eventually.ts";
import {createGate} from "../../utils/gate.ts";
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

/**
 * The copies of the app's one shadow as the router reports them (each outcome, in order) and as its
 * scheduler admits them (the priority of each copy submitted). Every submitted copy is reported once,
 * completed or failed, so they are all reported when the two counts agree.
 */
function watchShadow(app: CanaryApp) {
  const outcomes: ShadowOutcome[] = [];
  app.router.on("shadow", ({outcome}) => outcomes.push(outcome));
  const {engine} = app.router.shadows[0]!.model;
  const submittedPriorities: number[] = [];
  engine.scheduler.addRequest = new Proxy(engine.scheduler.addRequest, {
    apply(target, self, args: [{priority: number}]) {
      submittedPriorities.push(args[0].priority);
      return Reflect.apply(target, self, args);
    }
  });
  return {
    engine, outcomes, submittedPriorities,
    isEverySubmittedCopyReported: () => outcomes.filter((outcome) => outcome !== "dropped").length === submittedPriorities.length
  };
}

/** Copies leave on a later turn of the event loop than their user's request: after one turn, every copy was sent or dropped. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

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
  const shadow = watchShadow(shadowed);
  for (let index = 0; index < 30; index++) {
    const body = {messages: [{role: "user", content: `question ${index}`}], seed: index, max_tokens: 6};
    const [expected, actual] = await Promise.all([chat(baseline.app, body), chat(shadowed.app, body)]);
    expect(actual.status).toBe(200);
    expect(actual.variant).toBe("stable");
    expect(actual.content).toBe(expected.content);
    expect(actual.content).toHaveLength(6);
  }
  await eventually("the 30 copies are reported", () => shadow.outcomes.length === 30);
  const outcomes = await shadowOutcomes(shadowed);
  expect(outcomes.completed).toBe(0);
  expect(outcomes.failed).toBeGreaterThan(0);
  // The shadow's own engine metrics are recorded under its variant label.
  const metrics = await metricsOf(shadowed);
  expect(metrics.value("inflight:request_success_total", {model_name: "chat", variant: "mirror", finished_reason: "error"})).toBe(outcomes.failed);
  expect(metrics.value("inflight:request_success_total", {model_name: "chat", variant: "stable", finished_reason: "length"})).toBe(30);
  expect(metrics.value("inflight:http_requests_total", {route: "/v1/chat/completions", status_code: "200"})).toBe(30);
});

it("does not delay the user's request when the shadow is stalled", async () => {
  const shadowStall = createGate();
  const shadowed = await start([
    {name: "stable", initialWeight: 1},
    {name: "mirror", shadowRate: 1, fake: {beforeStep: shadowStall.wait}}
  ]);
  const shadow = watchShadow(shadowed);
  try {
    const answer = await chat(shadowed.app, {max_tokens: 8});
    expect(answer.status).toBe(200);
    expect(answer.content).toHaveLength(8);
    // The whole answer came while the copy, sent and running, has not finished a single step.
    await eventually("the copy runs in the shadow", () => shadow.engine.stats.numRunning === 1);
    expect(shadow.engine.stats.numStepsTotal).toBe(0);
    expect(shadow.outcomes).toEqual([]);
  } finally {
    shadowStall.open();
  }
  await eventually("the copy is reported once the shadow moves", () => shadow.outcomes.length === 1);
  expect(shadow.outcomes).toEqual(["completed"]);
});

it("drops shadow copies first when the shadow engine is busy, and sends them at the lowest priority", async () => {
  // The shadow is held in its first step, so it stays busy for as long as the test needs.
  const shadowStall = createGate();
  const shadowed = await start([
    {name: "stable", initialWeight: 1, fake: {numSequences: 4}},
    {name: "mirror", shadowRate: 1, fake: {numSequences: 1, beforeStep: shadowStall.wait}}
  ]);
  const shadow = watchShadow(shadowed);
  try {
    const answers = await Promise.all(Array.from({length: 6}, (_, index) => chat(shadowed.app, {max_tokens: 3, seed: index})));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await nextTurn();
    const outcomes = await shadowOutcomes(shadowed);
    // One copy runs, one waits for the single sequence; the rest meet a queue and are dropped.
    expect(outcomes.dropped).toBeGreaterThanOrEqual(4);
    expect(shadow.submittedPriorities.length).toBeGreaterThan(0);
    expect(shadow.submittedPriorities.every((priority) => priority >= 2 ** 30)).toBe(true);
  } finally {
    shadowStall.open();
  }
});

it("samples copies at the shadow rate", async () => {
  const shadowed = await start([
    {name: "stable", initialWeight: 1, fake: {numSequences: 4}},
    {name: "mirror", shadowRate: 0.2, fake: {numSequences: 4}}
  ]);
  const shadow = watchShadow(shadowed);
  for (let index = 0; index < 200; index++) expect((await chat(shadowed.app, {max_tokens: 1})).status).toBe(200);
  await nextTurn();
  await eventually("every copy sent is reported", shadow.isEverySubmittedCopyReported);
  const outcomes = await shadowOutcomes(shadowed);
  const sent = outcomes.completed + outcomes.dropped + outcomes.failed;
  // Binomial(200, 0.2): mean 40, standard deviation about 5.7.
  expect(sent).toBeGreaterThan(15);
  expect(sent).toBeLessThan(65);
});
