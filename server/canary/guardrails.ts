/**
 * The guardrail check of one canary against the stable variant, as a pure function of two window
 * summaries: absolute caps (error rate, TTFT p95, TPOT p95) apply once the canary has `min_samples`
 * finished requests in the window; comparisons with stable (error-rate increase, p95 ratios) apply
 * once stable has as many too, so a quiet stable variant cannot trigger or mask a rollback.
 */
import type {WindowSummary} from "./OutcomeWindow.ts";
import type {GuardrailConfig} from "./variantConfig.ts";

export type GuardrailVerdict =
  | {readonly status: "insufficient_samples"}
  | {readonly status: "holding"}
  | {readonly status: "breached"; readonly reason: string};

const format = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(3));

export function checkGuardrails(config: GuardrailConfig, canary: WindowSummary, stable: WindowSummary): GuardrailVerdict {
  if (canary.numSamples < config.min_samples) return {status: "insufficient_samples"};
  const breaches: string[] = [];
  const errorRate = canary.errorRate ?? 0;
  if (config.max_error_rate !== undefined && errorRate > config.max_error_rate) {
    breaches.push(`error rate ${format(errorRate)} > ${format(config.max_error_rate)}`);
  }
  if (config.max_ttft_p95_ms !== undefined && canary.ttftP95Ms !== null && canary.ttftP95Ms > config.max_ttft_p95_ms) {
    breaches.push(`TTFT p95 ${format(canary.ttftP95Ms)} ms > ${format(config.max_ttft_p95_ms)} ms`);
  }
  if (config.max_tpot_p95_ms !== undefined && canary.tpotP95Ms !== null && canary.tpotP95Ms > config.max_tpot_p95_ms) {
    breaches.push(`TPOT p95 ${format(canary.tpotP95Ms)} ms > ${format(config.max_tpot_p95_ms)} ms`);
  }
  if (stable.numSamples >= config.min_samples) {
    const stableErrorRate = stable.errorRate ?? 0;
    if (config.max_error_rate_increase !== undefined && errorRate - stableErrorRate > config.max_error_rate_increase) {
      breaches.push(`error rate ${format(errorRate)} exceeds stable's ${format(stableErrorRate)} by more than ${format(config.max_error_rate_increase)}`);
    }
    const ratio = (name: string, canaryMs: number | null, stableMs: number | null, max: number | undefined): void => {
      if (max === undefined || canaryMs === null || stableMs === null || stableMs <= 0) return;
      if (canaryMs / stableMs > max) breaches.push(`${name} p95 ${format(canaryMs)} ms is ${format(canaryMs / stableMs)}x stable's (max ${format(max)}x)`);
    };
    ratio("TTFT", canary.ttftP95Ms, stable.ttftP95Ms, config.max_ttft_p95_ratio);
    ratio("TPOT", canary.tpotP95Ms, stable.tpotP95Ms, config.max_tpot_p95_ratio);
  }
  return breaches.length === 0 ? {status: "holding"} : {status: "breached", reason: breaches.join("; ")};
}
