/**
 * Guardrails and rollout: the pure check (sample minimum, absolute caps, comparisons with stable), a
 * canary failing half its requests rolled back at the first evaluation after its window filled (and on
 * the monitor's own timer), traffic back on stable, the rollback counted and kept until an operator
 * acts, and a staged rollout that advances only on held stages with guardrails holding.
 */
import {afterEach, describe, expect, it, vi} from "vitest";
import {checkGuardrails} from "../../../server/canary/guardrails.ts";
import type {WindowSummary} from "../../../server/canary/OutcomeWindow.ts";
import {variantsFileSchema} from "../../../server/canary/variantConfig.ts";
import {ServerMetrics} from "../../../server/metrics/ServerMetrics.ts";
import type {FinishedGenerationRecord} from "../../../engine/types.ts";
import {Scrape} from "../scrape.ts";
import {type CanaryApp, chat, type FakeVariantSpec, startCanaryApp} from "./canaryApp.ts";

/** Guardrail settings with the schema's defaults filled in. */
function guardrails(settings: Record<string, number>) {
  const file = variantsFileSchema.parse({models: {chat: {variants: [{name: "stable", model: "x", weight: 1}, {name: "canary", model: "x", guardrails: settings}]}}});
  return file.models.chat!.variants[1]!.guardrails!;
}

const summary = (numSamples: number, errorRate: number, ttftP95Ms: number | null = 10, tpotP95Ms: number | null = 5): WindowSummary =>
  ({numSamples, numErrors: Math.round(numSamples * errorRate), errorRate, ttftP95Ms, tpotP95Ms});

describe("checkGuardrails", () => {
  const config = guardrails({max_error_rate: 0.05, max_ttft_p95_ratio: 1.5, max_tpot_p95_ms: 50, min_samples: 200});

  it("waits for the minimum sample count", () => {
    expect(checkGuardrails(config, summary(199, 1), summary(1000, 0)).status).toBe("insufficient_samples");
    expect(checkGuardrails(config, summary(200, 0.01), summary(1000, 0)).status).toBe("holding");
  });

  it("applies absolute caps whatever stable does", () => {
    const verdict = checkGuardrails(config, summary(200, 0.06), summary(0, 0));
    expect(verdict).toEqual({status: "breached", reason: "error rate 0.060 > 0.050"});
    expect(checkGuardrails(config, summary(200, 0, 10, 51), summary(0, 0)).status).toBe("breached");
  });

  it("compares latency with stable only once stable has enough samples too", () => {
    expect(checkGuardrails(config, summary(200, 0, 16), summary(1000, 0, 10)).status).toBe("breached");
    expect(checkGuardrails(config, summary(200, 0, 14), summary(1000, 0, 10)).status).toBe("holding");
    expect(checkGuardrails(config, summary(200, 0, 16), summary(100, 0, 10)).status).toBe("holding");
  });
});

const apps: CanaryApp[] = [];
afterEach(async () => {
  // Disposed first: a monitor started under fake timers clears its timers through them.
  for (const app of apps.splice(0)) await app[Symbol.asyncDispose]();
  vi.useRealTimers();
});

async function start(variants: readonly FakeVariantSpec[], options: {clock?: () => number; isAutoEvaluated?: boolean} = {}): Promise<CanaryApp> {
  const started = await startCanaryApp({variants, ...options, app: {metrics: new ServerMetrics({isProcessMetricsEnabled: false})}});
  apps.push(started);
  return started;
}

async function traffic(app: CanaryApp, numRequests: number, offset = 0) {
  const answers = [];
  for (let index = 0; index < numRequests; index += 10) {
    answers.push(...await Promise.all(Array.from({length: 10}, (_, batch) => chat(app.app, {user: `user-${offset + index + batch}`, max_tokens: 2}))));
  }
  return answers;
}

async function rollbacks(app: CanaryApp): Promise<number> {
  const metrics = new Scrape((await app.app.inject({method: "GET", url: "/metrics"})).body);
  return metrics.value("inflight:canary_rollbacks_total", {model_name: "chat", variant: "canary"});
}

describe("automatic rollback", () => {
  const canarySettings = {max_error_rate: 0.05, min_samples: 20, window_s: 60, interval_s: 10};

  it("rolls a canary with injected errors back at the first evaluation, and traffic returns to stable", async () => {
    let nowMs = 0;
    const app = await start([
      {name: "stable", initialWeight: 50, fake: {numSequences: 4}},
      {name: "canary", initialWeight: 50, guardrails: guardrails(canarySettings), fake: {numSequences: 4, failureRate: 0.5}}
    ], {clock: () => nowMs});
    const before = await traffic(app, 100);
    const onCanary = before.filter((answer) => answer.variant === "canary");
    expect(onCanary.length).toBeGreaterThan(30);
    expect(onCanary.some((answer) => answer.status === 500)).toBe(true);
    expect(before.filter((answer) => answer.variant === "stable").every((answer) => answer.status === 200)).toBe(true);
    nowMs += 10_000;
    app.router.monitor.evaluate();
    expect(app.router.stateOf("canary")).toMatchObject({weight: 0, isRolledBack: true});
    expect(app.router.stateOf("canary").rollbackReason).toMatch(/^guardrail breached: error rate 0\.\d+ > 0\.050$/);
    expect(await rollbacks(app)).toBe(1);
    // The same users again: all on stable now, all successful.
    const after = await traffic(app, 100);
    expect(after.every((answer) => answer.variant === "stable" && answer.status === 200)).toBe(true);
    // It stays rolled back: later evaluations do not bring it back nor count again.
    nowMs += 120_000;
    app.router.monitor.evaluate();
    expect(app.router.stateOf("canary").isRolledBack).toBe(true);
    expect(await rollbacks(app)).toBe(1);
    // Until an operator acts; it is then judged on new traffic only.
    app.router.setWeight("canary", 50);
    expect(app.router.stateOf("canary").isRolledBack).toBe(false);
    expect(app.router.monitor.summarize(app.router.variant("canary")).numSamples).toBe(0);
  });

  it("keeps a healthy canary", async () => {
    let nowMs = 0;
    const app = await start([
      {name: "stable", initialWeight: 50},
      {name: "canary", initialWeight: 50, guardrails: guardrails(canarySettings)}
    ], {clock: () => nowMs});
    await traffic(app, 100);
    nowMs += 10_000;
    app.router.monitor.evaluate();
    expect(app.router.stateOf("canary")).toMatchObject({weight: 50, isRolledBack: false});
    expect(app.router.monitor.verdictOf("canary")).toEqual({status: "holding"});
    expect(await rollbacks(app)).toBe(0);
  });

  it("rolls back on its own timer within one evaluation interval", async () => {
    // Only the monitor's interval timers are fake: the engines and the app run on real ones.
    vi.useFakeTimers({toFake: ["setInterval", "clearInterval"]});
    const app = await start([
      {name: "stable", initialWeight: 50, fake: {numSequences: 4}},
      {name: "canary", initialWeight: 50, guardrails: guardrails({...canarySettings, interval_s: 0.05}), fake: {numSequences: 4, failureRate: 0.5}}
    ], {isAutoEvaluated: true});
    const rollbacks: {variant: string; isAutomatic: boolean}[] = [];
    app.router.on("rolledBack", ({variant, isAutomatic}) => rollbacks.push({variant, isAutomatic}));
    await traffic(app, 100);
    // The breach is there, but nothing judges it until the timer fires.
    vi.advanceTimersByTime(49);
    expect(app.router.stateOf("canary").isRolledBack).toBe(false);
    vi.advanceTimersByTime(1);
    expect(rollbacks).toEqual([{variant: "canary", isAutomatic: true}]);
    expect(app.router.stateOf("canary").isRolledBack).toBe(true);
  });
});

describe("staged rollout", () => {
  /** Feeds finished-request records straight into a variant's engine events, as its engine would. */
  function finish(app: CanaryApp, variantName: string, count: number, isError = false): void {
    const {engine} = app.router.variant(variantName).model;
    for (let index = 0; index < count; index++) {
      const record: FinishedGenerationRecord = {
        requestId: `r${index}`, variant: variantName,
        summary: {
          finishReason: isError ? "error" : "stop", numPromptTokens: 3, numCachedPromptTokens: 0, numOutputTokens: 4,
          timings: {queueMs: 1, promptMs: 2, timeToFirstTokenMs: 3, timePerOutputTokenMs: 1, totalMs: 6}
        }
      };
      engine.emit("requestFinished", record);
    }
  }

  it("advances 1% -> 5% -> 25% -> 100% after each hold, only with enough healthy samples", async () => {
    let nowMs = 0;
    const app = await start([
      {name: "stable", initialWeight: 100},
      {name: "canary", rollout: {stages: [1, 5, 25, 100], hold_s: 60}, guardrails: guardrails({max_error_rate: 0.05, min_samples: 10, window_s: 60})}
    ], {clock: () => nowMs});
    const {router} = app;
    expect(router.shareOf("canary")).toBeCloseTo(0.01, 5);
    nowMs += 61_000;
    router.monitor.evaluate();
    // Held long enough, but no evidence yet.
    expect(router.shareOf("canary")).toBeCloseTo(0.01, 5);
    finish(app, "canary", 10);
    router.monitor.evaluate();
    expect(router.shareOf("canary")).toBeCloseTo(0.05, 5);
    nowMs += 30_000;
    finish(app, "canary", 10);
    router.monitor.evaluate();
    // Not held long enough yet.
    expect(router.shareOf("canary")).toBeCloseTo(0.05, 5);
    nowMs += 31_000;
    router.monitor.evaluate();
    expect(router.shareOf("canary")).toBeCloseTo(0.25, 5);
    nowMs += 61_000;
    finish(app, "canary", 10);
    router.monitor.evaluate();
    expect(router.shareOf("canary")).toBe(1);
    expect(router.shareOf("stable")).toBe(0);
  });

  it("stops and rolls back when guardrails break mid-rollout", async () => {
    let nowMs = 0;
    const app = await start([
      {name: "stable", initialWeight: 100},
      {name: "canary", rollout: {stages: [10, 50, 100], hold_s: 60}, guardrails: guardrails({max_error_rate: 0.05, min_samples: 10, window_s: 60})}
    ], {clock: () => nowMs});
    nowMs += 61_000;
    finish(app, "canary", 10);
    app.router.monitor.evaluate();
    expect(app.router.shareOf("canary")).toBeCloseTo(0.5, 5);
    nowMs += 1_000;
    finish(app, "canary", 5, true);
    app.router.monitor.evaluate();
    expect(app.router.shareOf("canary")).toBe(0);
    expect(app.router.stateOf("canary")).toMatchObject({isRolledBack: true, stage: null});
    expect(app.router.shareOf("stable")).toBe(1);
  });
});
