/**
 * Shadow traffic: a copy of a user's request sent to a shadow variant, whose output is discarded and
 * whose engine's records feed the metrics like any other. The copy can never delay or fail the user's
 * request: it is sent on a later turn of the event loop (after the user's request was queued), at a
 * priority worse than any user's (it matters under `--policy priority`), it is dropped when the shadow
 * engine already has a queue (shadows are the first traffic shed under load), and every error it
 * meets is swallowed and counted. Owns sending the copies; which ones to send is the router's choice.
 */
import type {GenerationRequest} from "../../engine/types.ts";
import type {ShadowOutcome, Variant} from "./types.ts";
import type {VariantRouter} from "./VariantRouter.ts";

/** Worse (higher) than any priority a client would send. */
export const SHADOW_PRIORITY = 2 ** 30;

/** Schedules one copy per shadow; `makeRequest` renders the request for that shadow's model. */
export function sendShadowCopies(router: VariantRouter, shadows: readonly Variant[], makeRequest: (shadow: Variant) => GenerationRequest): void {
  for (const shadow of shadows) setImmediate(() => sendCopy(router, shadow, makeRequest));
}

function sendCopy(router: VariantRouter, shadow: Variant, makeRequest: (shadow: Variant) => GenerationRequest): void {
  const report = (outcome: ShadowOutcome): void => {
    router.emit("shadow", {variant: shadow.name, outcome});
  };
  const {engine} = shadow.model;
  const stats = engine.stats;
  if (stats.numWaiting + stats.numPreempted > 0) {
    report("dropped");
    return;
  }
  let stream;
  try {
    stream = engine.submit({...makeRequest(shadow), priority: SHADOW_PRIORITY});
  } catch {
    report("failed");
    return;
  }
  stream.collect().then(
    ({summary}) => report(summary.finishReason === "error" || summary.finishReason === "timeout" ? "failed" : "completed"),
    () => report("failed")
  );
}
