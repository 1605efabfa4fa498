/**
 * The admin view of a router: per variant its weight and traffic share, its rollout stage, its
 * rollback state, its window metrics and last guardrail verdict. JSON-ready, snake_case like the
 * rest of the API. Owns the shape only.
 */
import type {VariantRouter} from "./VariantRouter.ts";

const round = (value: number | null): number | null => (value === null ? null : Math.round(value * 1000) / 1000);

export function routerSnapshot(router: VariantRouter) {
  const {monitor} = router;
  return {
    model: router.name,
    sticky_key: router.stickyKey,
    variants: router.variants.map((variant) => {
      const state = router.stateOf(variant.name);
      const window = monitor.summarize(variant);
      const verdict = monitor.verdictOf(variant.name);
      return {
        name: variant.name,
        source: variant.source,
        role: variant.shadowRate !== null ? "shadow" : variant === router.primary ? "primary" : "canary",
        weight: state.weight,
        traffic_share: router.shareOf(variant.name),
        shadow_rate: variant.shadowRate,
        is_rolled_back: state.isRolledBack,
        rollback_reason: state.rollbackReason,
        rollout: variant.rollout === null ? null : {
          stages: variant.rollout.stages,
          hold_s: variant.rollout.hold_s,
          // Null once an operator took manual control (set_weight, promote, rollback).
          stage_index: state.stage?.index ?? null,
          stage_held_s: state.stage === null ? null : round((monitor.now() - state.stage.sinceMs) / 1000)
        },
        guardrails: variant.guardrails,
        last_verdict: verdict === null ? null : verdict.status === "breached" ? {status: verdict.status, reason: verdict.reason} : {status: verdict.status},
        window: {
          window_s: variant.guardrails?.window_s ?? 60,
          samples: window.numSamples,
          errors: window.numErrors,
          error_rate: round(window.errorRate),
          ttft_p95_ms: round(window.ttftP95Ms),
          tpot_p95_ms: round(window.tpotP95Ms)
        }
      };
    })
  };
}
