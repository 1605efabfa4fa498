/**
 * Watches a router's variants and acts on their canaries: keeps a sliding window of each variant's
 * finished requests (from its engine's "requestFinished" records, plus 5xx failures the server saw
 * before the engine did), and every `interval_s` checks each canary against the primary. A breach
 * rolls the canary back (weight 0, until an operator acts); a staged rollout advances once its stage
 * was held for `hold_s` with guardrails holding on enough samples. The clock is injectable and the
 * timers optional, so tests step through windows without waiting.
 */
import type {FinishedGenerationRecord} from "../../engine/types.ts";
import {checkGuardrails, type GuardrailVerdict} from "./guardrails.ts";
import {OutcomeWindow, type WindowSummary} from "./OutcomeWindow.ts";
import type {Variant} from "./types.ts";
import type {VariantRouter} from "./VariantRouter.ts";

export interface CanaryMonitorOptions {
  /** Milliseconds, monotonic; default `performance.now`. */
  readonly clock?: () => number;
  /** Run evaluations on timers (default); tests turn this off and call `evaluate()`. */
  readonly isAutoEvaluated?: boolean;
}

const DEFAULT_WINDOW_MS = 60_000;
const DEFAULT_INTERVAL_MS = 10_000;

export class CanaryMonitor {
  private readonly clock: () => number;
  private readonly windows = new Map<string, OutcomeWindow>();
  private readonly detachers: (() => void)[] = [];
  private readonly lastVerdicts = new Map<string, GuardrailVerdict>();

  constructor(private readonly router: VariantRouter, options: CanaryMonitorOptions) {
    this.clock = options.clock ?? (() => performance.now());
    const retentionMs = Math.max(DEFAULT_WINDOW_MS, ...router.variants.map((variant) => (variant.guardrails?.window_s ?? 0) * 1000));
    for (const variant of router.variants) {
      const window = new OutcomeWindow(retentionMs);
      this.windows.set(variant.name, window);
      const onFinished = (record: FinishedGenerationRecord): void => {
        if (record.variant === variant.name) this.recordFinished(window, record);
      };
      variant.model.engine.on("requestFinished", onFinished);
      this.detachers.push(() => variant.model.engine.off("requestFinished", onFinished));
      if (options.isAutoEvaluated !== false && (variant.guardrails || variant.rollout)) {
        const intervalMs = variant.guardrails ? variant.guardrails.interval_s * 1000 : Math.min(DEFAULT_INTERVAL_MS, variant.rollout!.hold_s * 1000);
        const timer = setInterval(() => this.evaluateVariant(variant), intervalMs);
        // Never keeps the process alive on its own.
        timer.unref();
        this.detachers.push(() => clearInterval(timer));
      }
    }
  }

  now(): number {
    return this.clock();
  }

  /** A failure the engine never recorded (a 5xx at submission), counted against the variant. */
  recordFailure(variantName: string): void {
    this.windows.get(variantName)?.record({atMs: this.clock(), isError: true, ttftMs: null, tpotMs: null});
  }

  /** Forgets a variant's window, so a canary brought back by an operator is judged on new traffic only. */
  forget(variantName: string): void {
    this.windows.get(variantName)?.clear();
    this.lastVerdicts.delete(variantName);
  }

  /** A variant's window as its guardrails see it (60 s when it has none). */
  summarize(variant: Variant): WindowSummary {
    const windowMs = (variant.guardrails?.window_s ?? DEFAULT_WINDOW_MS / 1000) * 1000;
    return this.windows.get(variant.name)!.summarize(this.clock(), windowMs);
  }

  /** The last guardrail verdict of a canary; null before its first evaluation. */
  verdictOf(variantName: string): GuardrailVerdict | null {
    return this.lastVerdicts.get(variantName) ?? null;
  }

  /** Checks every canary now (the timers call this per variant). */
  evaluate(): void {
    for (const variant of this.router.routed.slice(1)) this.evaluateVariant(variant);
  }

  close(): void {
    for (const detach of this.detachers) detach();
    this.detachers.length = 0;
  }

  private evaluateVariant(variant: Variant): void {
    const state = this.router.stateOf(variant.name);
    // A canary at weight 0 gets no new traffic: nothing new to judge, and stale errors must not act.
    if (state.isRolledBack || state.weight === 0) return;
    let verdict: GuardrailVerdict | null = null;
    if (variant.guardrails) {
      const stable = this.windows.get(this.router.primary.name)!.summarize(this.clock(), variant.guardrails.window_s * 1000);
      verdict = checkGuardrails(variant.guardrails, this.summarize(variant), stable);
      this.lastVerdicts.set(variant.name, verdict);
      if (verdict.status === "breached") {
        this.router.rollBack(variant.name, `guardrail breached: ${verdict.reason}`, true);
        return;
      }
    }
    const {rollout} = variant;
    if (!rollout || state.stage === null) return;
    const isHeld = this.clock() - state.stage.sinceMs >= rollout.hold_s * 1000;
    // Without guardrails a stage advances on time alone; with them, only on enough evidence.
    if (isHeld && (verdict === null || verdict.status === "holding")) this.router.advanceStage(variant.name);
  }

  private recordFinished(window: OutcomeWindow, {summary}: FinishedGenerationRecord): void {
    // A client that left says nothing about the variant's health.
    if (summary.finishReason === "abort") return;
    const isError = summary.finishReason === "error" || summary.finishReason === "timeout";
    window.record({atMs: this.clock(), isError, ttftMs: summary.timings.timeToFirstTokenMs, tpotMs: summary.timings.timePerOutputTokenMs});
  }
}
