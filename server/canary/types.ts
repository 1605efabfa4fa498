/**
 * Records of canary routing shared by the router, the monitor, the shadow sender, the routes and the
 * metrics: a variant (its engine and its defaults), a request's assignment, and the events a router
 * emits. Plain data; no behaviour.
 */
import type {ServedModel} from "../../engine/ServedModel.ts";
import type {GuardrailConfig, RolloutConfig} from "./variantConfig.ts";

/** Per-variant request defaults: applied where the request leaves a field unset. */
export interface VariantDefaults {
  /** Prepended as a system message to chat requests that bring none. */
  readonly systemPrompt?: string;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly minP?: number;
}

/** One variant of a served model: its own engine, defaults, and canary settings. */
export interface Variant {
  readonly name: string;
  /** The engine serving this variant; its `name` is the served name. */
  readonly model: ServedModel;
  /** Where its weights come from (a path or synthetic preset), for the admin API. */
  readonly source: string;
  readonly defaults: VariantDefaults;
  /** Fraction of requests a shadow gets a copy of; null for routed variants. */
  readonly shadowRate: number | null;
  readonly guardrails: GuardrailConfig | null;
  readonly rollout: RolloutConfig | null;
  /** The weight it starts with (relative; a percentage when a rollout is involved). */
  readonly initialWeight: number;
}

/** Where one request goes: the variant that answers it, and the shadows that get a copy. */
export interface Assignment {
  readonly variant: Variant;
  readonly shadows: readonly Variant[];
  /** The sticky key used; null when the request had none and was split at random. */
  readonly key: string | null;
  /** The request's session key (`x-session-id`, else `user`), whatever the sticky key; null when none. */
  readonly sessionKey: string | null;
}

/** How a shadow copy ended: sent and finished, not sent because its engine was busy, or failed. */
export type ShadowOutcome = "completed" | "dropped" | "failed";

export interface RouterEvents {
  rolledBack: [event: {readonly variant: string; readonly reason: string; readonly isAutomatic: boolean}];
  stageAdvanced: [event: {readonly variant: string; readonly percent: number}];
  shadow: [event: {readonly variant: string; readonly outcome: ShadowOutcome}];
}
