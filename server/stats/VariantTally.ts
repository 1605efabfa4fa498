/**
 * Finished requests per model and variant, counted from the engines' "requestFinished" records, for
 * the live stats (`GET /v1/stats`): the variant split of traffic that canary routing shapes. It
 * works with metrics off (`--no-metrics`), which is why it does not read the Prometheus counters.
 * Owns the counts only.
 */
import type {Engine} from "../../engine/Engine.ts";
import type {FinishedGenerationRecord} from "../../engine/types.ts";

export class VariantTally {
  private readonly countsByEngine = new Map<Engine, Map<string, number>>();
  private readonly detachers: (() => void)[] = [];

  /** Starts counting an engine's finished requests; observing it again does nothing. */
  observe(engine: Engine): void {
    if (this.countsByEngine.has(engine)) return;
    const counts = new Map<string, number>();
    this.countsByEngine.set(engine, counts);
    const onFinished = ({variant}: FinishedGenerationRecord): void => {
      counts.set(variant, (counts.get(variant) ?? 0) + 1);
    };
    engine.on("requestFinished", onFinished);
    this.detachers.push(() => engine.off("requestFinished", onFinished));
  }

  /** Finished requests of an engine by variant, since it was first observed. */
  countsOf(engine: Engine): ReadonlyMap<string, number> {
    return this.countsByEngine.get(engine) ?? new Map();
  }

  close(): void {
    for (const detach of this.detachers) detach();
    this.detachers.length = 0;
    this.countsByEngine.clear();
  }
}
