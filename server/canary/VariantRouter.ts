/**
 * One served model name and its variants: picks the variant of each request (sticky by a key, or at
 * random by weight when there is none), samples shadow copies, and holds the live routing state that
 * operators and the canary monitor change without a restart: weights, rollbacks, rollout stages.
 * A change only affects requests assigned after it; requests in flight keep their engine.
 * Owns routing state; the bucket arithmetic is `assignment.ts`'s, the guardrail loop
 * `CanaryMonitor.ts`'s, running shadow copies `shadowCopies.ts`'s, and the engines the registry's.
 */
import {EventEmitter} from "node:events";
import type {IncomingHttpHeaders} from "node:http";
import {ApiError} from "../errors.ts";
import {headerValue, sessionKeyOf} from "../session/sessionKey.ts";
import {type BucketRange, bucketOf, bucketRanges, NUM_BUCKETS, variantOfBucket} from "./assignment.ts";
import {CanaryMonitor, type CanaryMonitorOptions} from "./CanaryMonitor.ts";
import type {Assignment, RouterEvents, Variant} from "./types.ts";

export interface VariantRouterOptions extends CanaryMonitorOptions {
  /** The name clients send as `model`. */
  readonly name: string;
  /** The first is the primary (stable) variant; it takes the traffic the others leave. */
  readonly variants: readonly Variant[];
  /**
   * "session" (the session key: `x-session-id`, else `user`), "user" (the body's `user` field only)
   * or a header name; default "session".
   */
  readonly stickyKey?: string;
  /** Mixed into the bucket hash; default the served name. */
  readonly salt?: string;
  /** Uniform in [0, 1): random splits of keyless requests and shadow sampling. */
  readonly random?: () => number;
}

/** The `sticky_key` that routes by the session key (`session/sessionKey.ts`), the default. */
export const SESSION_STICKY_KEY = "session";

export interface RoutingRequest {
  readonly user?: string | null;
  readonly headers?: IncomingHttpHeaders;
}

interface VariantState {
  weight: number;
  isRolledBack: boolean;
  rollbackReason: string | null;
  /** The staged rollout's position, null when there is none or an operator took over. */
  stage: {index: number; sinceMs: number} | null;
}

export class VariantRouter extends EventEmitter<RouterEvents> {
  readonly name: string;
  readonly stickyKey: string;
  readonly primary: Variant;
  /** Variants that answer requests, primary first. */
  readonly routed: readonly Variant[];
  readonly shadows: readonly Variant[];
  readonly monitor: CanaryMonitor;
  private readonly salt: string;
  private readonly random: () => number;
  private readonly states = new Map<string, VariantState>();
  private ranges: BucketRange[] = [];

  constructor(options: VariantRouterOptions) {
    super();
    this.name = options.name;
    this.stickyKey = options.stickyKey ?? SESSION_STICKY_KEY;
    this.salt = options.salt ?? options.name;
    this.random = options.random ?? Math.random;
    this.routed = options.variants.filter((variant) => variant.shadowRate === null);
    this.shadows = options.variants.filter((variant) => variant.shadowRate !== null);
    if (this.routed.length === 0) throw new Error(`model "${options.name}" has no routed variant`);
    this.primary = this.routed[0]!;
    for (const variant of options.variants) {
      this.states.set(variant.name, {weight: variant.shadowRate === null ? variant.initialWeight : 0, isRolledBack: false, rollbackReason: null, stage: null});
    }
    this.monitor = new CanaryMonitor(this, options);
    for (const variant of this.routed) if (variant.rollout) this.startRollout(variant.name);
    this.updateRanges();
  }

  get variants(): readonly Variant[] {
    return [...this.routed, ...this.shadows];
  }

  variant(name: string): Variant {
    const variant = this.variants.find((entry) => entry.name === name);
    if (!variant) throw new ApiError(404, `model "${this.name}" has no variant "${name}"`, "invalid_request_error", "variant", "variant_not_found");
    return variant;
  }

  stateOf(name: string): Readonly<VariantState> {
    this.variant(name);
    return this.states.get(name)!;
  }

  /** The share of routed traffic (0-1) each variant gets now, from its bucket range. */
  shareOf(name: string): number {
    const range = this.ranges.find((entry) => entry.name === name);
    return range === undefined ? 0 : (range.end - range.start) / NUM_BUCKETS;
  }

  /** The sticky key of a request: the session key, the `user` field or the configured header; null when absent. */
  keyOf(request: RoutingRequest): string | null {
    if (this.stickyKey === SESSION_STICKY_KEY) return sessionKeyOf(request);
    if (this.stickyKey === "user") return request.user != null && request.user.length > 0 ? request.user : null;
    return headerValue(request.headers, this.stickyKey);
  }

  assign(request: RoutingRequest): Assignment {
    const key = this.keyOf(request);
    const sessionKey = this.stickyKey === SESSION_STICKY_KEY ? key : sessionKeyOf(request);
    const bucket = key === null ? Math.floor(this.random() * NUM_BUCKETS) : bucketOf(this.salt, key);
    const name = variantOfBucket(this.ranges, bucket);
    const variant = this.routed.find((entry) => entry.name === name)!;
    const shadows = this.shadows.filter((shadow) => this.random() < shadow.shadowRate!);
    return {variant, shadows, key, sessionKey};
  }

  /** An operator's weight: takes manual control (a staged rollout stops) and clears a rollback. */
  setWeight(name: string, weight: number): void {
    const state = this.routedState(name);
    state.weight = weight;
    state.isRolledBack = false;
    state.rollbackReason = null;
    state.stage = null;
    this.monitor.forget(name);
    this.updateRanges();
  }

  /** Sends all routed traffic to `name` (the others keep their variant but get weight 0). */
  promote(name: string): void {
    this.routedState(name);
    for (const [other, state] of this.states) {
      if (this.shadows.some((shadow) => shadow.name === other)) continue;
      state.weight = other === name ? 100 : 0;
      state.stage = null;
      if (other === name) {
        state.isRolledBack = false;
        state.rollbackReason = null;
        this.monitor.forget(name);
      }
    }
    this.updateRanges();
  }

  /** Weight 0 until an operator acts again; the primary cannot be rolled back (it is the fallback). */
  rollBack(name: string, reason: string, isAutomatic: boolean): void {
    const state = this.routedState(name);
    if (name === this.primary.name) throw new ApiError(400, `"${name}" is the primary variant: there is nothing to roll back to`, "invalid_request_error", "variant", "invalid_action");
    state.weight = 0;
    state.isRolledBack = true;
    state.rollbackReason = reason;
    state.stage = null;
    this.updateRanges();
    this.emit("rolledBack", {variant: name, reason, isAutomatic});
  }

  /** (Re)starts a variant's staged rollout at its first stage. */
  startRollout(name: string): void {
    const state = this.routedState(name);
    const {rollout} = this.variant(name);
    if (!rollout) throw new ApiError(400, `variant "${name}" has no rollout configured`, "invalid_request_error", "action", "invalid_action");
    state.isRolledBack = false;
    state.rollbackReason = null;
    state.stage = {index: 0, sinceMs: this.monitor.now()};
    this.monitor.forget(name);
    this.applyPercent(name, rollout.stages[0]!);
  }

  /** Moves a rollout to its next stage; called by the monitor once a stage was held with guardrails holding. */
  advanceStage(name: string): void {
    const state = this.routedState(name);
    const {rollout} = this.variant(name);
    if (!rollout || state.stage === null || state.stage.index + 1 >= rollout.stages.length) return;
    state.stage = {index: state.stage.index + 1, sinceMs: this.monitor.now()};
    const percent = rollout.stages[state.stage.index]!;
    this.applyPercent(name, percent);
    this.emit("stageAdvanced", {variant: name, percent});
  }

  /** Stops the monitor's timers and listeners; the engines belong to the registry. */
  close(): void {
    this.monitor.close();
  }

  /**
   * Rollout stages are percentages: the canary gets `percent`, the primary what the other canaries
   * leave of 100.
   */
  private applyPercent(name: string, percent: number): void {
    this.states.get(name)!.weight = percent;
    let othersPercent = 0;
    for (const variant of this.routed.slice(1)) if (variant.name !== name) othersPercent += this.states.get(variant.name)!.weight;
    this.states.get(this.primary.name)!.weight = Math.max(0, 100 - percent - othersPercent);
    this.updateRanges();
  }

  private routedState(name: string): VariantState {
    const variant = this.variant(name);
    if (variant.shadowRate !== null) throw new ApiError(400, `"${name}" is a shadow: it takes no traffic of its own`, "invalid_request_error", "variant", "invalid_action");
    return this.states.get(name)!;
  }

  private updateRanges(): void {
    this.ranges = bucketRanges(this.routed.map((variant) => ({name: variant.name, weight: this.states.get(variant.name)!.weight})));
  }
}
