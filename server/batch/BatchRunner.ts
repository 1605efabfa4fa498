/**
 * Runs claimed batch requests in the engines, below online work: requests are claimed from the store
 * a little ahead of need and planned at once (so the engine they go to is known), then submitted at
 * the lowest priority only when that engine has room for them (`EngineRoom.ts`), checked after every
 * engine step, so a request that ends is replaced before the next step is scheduled. Each answer is
 * written by the `ResultWriter`; a stopped batch's requests are aborted; at shutdown unfinished ones
 * are handed back for a later run. Owns the requests this worker holds.
 */
import type {FastifyBaseLogger} from "fastify";
import type {Engine} from "../../engine/Engine.ts";
import {EngineError} from "../../engine/errors.ts";
import type {CompletionPlan} from "../completion/types.ts";
import {ApiError, toApiError} from "../errors.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {EngineRoom} from "./EngineRoom.ts";
import {answerOf, type BatchAnswer, planBatchRequest, startBatchRequest, type StartedBatchRequest} from "./executeBatchRequest.ts";
import {answeredLine} from "./outputLine.ts";
import {ResultWriter} from "./ResultWriter.ts";
import {newRequestId} from "./store/ids.ts";
import type {EndedRequest, RequestStore} from "./store/RequestStore.ts";
import type {ClaimedRequest, RequestEnd} from "./types.ts";

/** What the metrics learn of each request this worker ended. */
export interface BatchRequestObserver {
  onEnded(labels: {readonly modelName: string; readonly variant: string}, status: "completed" | "failed" | "cancelled"): void;
}

export interface BatchRunnerOptions {
  readonly registry: ModelRegistry;
  readonly requests: RequestStore;
  readonly log: FastifyBaseLogger;
  /** `--batch-max-in-flight`: most batch requests in one engine at once; Infinity: as many as it has sequences. */
  readonly maxInFlight: number;
  /** `--batch-max-beside-online`: most batch requests in one engine while online ones run there. */
  readonly maxBesideOnline: number;
  /** How long a peak of online requests keeps its sequences from the batch. */
  readonly onlineHoldMs: number;
  /** A request interrupted this many times (crashes, timeouts) fails instead of running again. */
  readonly maxAttempts: number;
  /** Batches whose requests' endings were just written (they may be ready to finalize). */
  readonly onWritten: (batchIds: readonly string[]) => void;
  readonly observer?: BatchRequestObserver;
}

interface Planned {
  readonly claimed: ClaimedRequest;
  readonly plan: CompletionPlan;
}

interface Running extends Planned {
  readonly room: Room;
  readonly request: StartedBatchRequest;
  isEndedInEngine: boolean;
  stopReason: "cancel" | "shutdown" | null;
}

interface Room extends EngineRoom {
  readonly queue: Planned[];
}

export class BatchRunner {
  private readonly rooms = new Map<Engine, Room>();
  private readonly running = new Map<string, Running>();
  private readonly answers = new Set<Promise<void>>();
  private readonly writer: ResultWriter;
  private isClaiming = false;
  private isClaimWanted = false;
  private hasNoWork = false;
  private isClosed = false;

  constructor(private readonly options: BatchRunnerOptions) {
    this.writer = new ResultWriter(options.requests, options.onWritten, (error) => options.log.error({err: error}, "batch results could not be written"));
  }

  /** True for the engine request ids of batch requests running here: the metrics keep them apart. */
  isBatchRequest(requestId: string): boolean {
    return this.running.has(requestId);
  }

  /** Requests claimed here: waiting for room, and in the engines. */
  get numHeld(): number {
    let queued = 0;
    for (const room of this.rooms.values()) queued += room.queue.length;
    return queued + this.running.size;
  }

  /**
   * Looks for work now (the poll, a batch that just started), and submits what waits for room: an idle
   * engine has no steps to do it, and its reserve for online requests runs out with time alone.
   */
  wake(): void {
    this.hasNoWork = false;
    for (const model of this.options.registry.notReadyReason === null ? this.options.registry.list() : []) this.roomOf(model.engine);
    for (const room of this.rooms.values()) this.fill(room);
    void this.claim();
  }

  /** Stops the requests of batches that were cancelled or expired: waiting ones at once, running ones by abort. */
  stop(batchIds: ReadonlySet<string>): void {
    for (const room of this.rooms.values()) {
      const kept = room.queue.filter((planned) => !batchIds.has(planned.claimed.batchId));
      for (const planned of room.queue) if (batchIds.has(planned.claimed.batchId)) this.end(planned.claimed, {state: "cancelled"}, planned.plan);
      room.queue.splice(0, room.queue.length, ...kept);
    }
    for (const running of this.running.values()) {
      if (!batchIds.has(running.claimed.batchId)) continue;
      running.stopReason = "cancel";
      for (const stream of running.request.started.streams) stream.abort();
    }
  }

  /** Batches with requests held here. */
  heldBatchIds(): Set<string> {
    const ids = new Set<string>();
    for (const room of this.rooms.values()) for (const planned of room.queue) ids.add(planned.claimed.batchId);
    for (const running of this.running.values()) ids.add(running.claimed.batchId);
    return ids;
  }

  /** Stops claiming, hands back what waits, aborts what runs (handed back too), and writes it all. */
  async close(): Promise<void> {
    this.isClosed = true;
    for (const room of this.rooms.values()) {
      for (const planned of room.queue.splice(0)) this.end(planned.claimed, {state: "pending"}, null, false);
    }
    for (const running of this.running.values()) {
      running.stopReason = "shutdown";
      for (const stream of running.request.started.streams) stream.abort();
    }
    while (this.answers.size > 0) await Promise.all([...this.answers]);
    await this.writer.flush();
  }

  private roomOf(engine: Engine): Room {
    let room = this.rooms.get(engine);
    if (room) return room;
    room = Object.assign(new EngineRoom(engine, {
      maxInFlight: this.options.maxInFlight, maxBesideOnline: this.options.maxBesideOnline, holdMs: this.options.onlineHoldMs
    }), {queue: [] as Planned[]});
    this.rooms.set(engine, room);
    const owned = room;
    engine.on("requestFinished", ({requestId}) => {
      const running = this.running.get(requestId);
      if (running && !running.isEndedInEngine) {
        running.isEndedInEngine = true;
        owned.numInFlight--;
      }
    });
    // Synchronous at the end of each step: a request submitted here joins the very next one.
    engine.on("step", () => this.fill(owned));
    return room;
  }

  /** How many more requests to claim: enough to fill every engine's room and keep as many ready behind. */
  private numWanted(): number {
    let wanted = 0;
    for (const room of this.rooms.values()) wanted += Math.max(0, 2 * room.capacity - room.numInFlight - room.queue.length);
    return wanted;
  }

  private async claim(): Promise<void> {
    if (this.isClaiming) {
      this.isClaimWanted = true;
      return;
    }
    this.isClaiming = true;
    try {
      do {
        this.isClaimWanted = false;
        const wanted = this.numWanted();
        if (this.isClosed || this.hasNoWork || wanted <= 0) return;
        const claimed = await this.options.requests.claim(wanted);
        if (claimed.length < wanted) this.hasNoWork = true;
        this.accept(claimed);
      } while (this.isClaimWanted);
    } catch (error) {
      this.options.log.error({err: error}, "batch requests could not be claimed");
    } finally {
      this.isClaiming = false;
    }
  }

  /** Plans what was claimed and queues it by engine; what cannot be planned is answered or handed back. */
  private accept(claimed: readonly ClaimedRequest[]): void {
    const touched = new Set<Room>();
    for (const request of claimed) {
      if (this.isClosed) {
        this.end(request, {state: "pending"}, null, false);
        continue;
      }
      if (request.attempts > this.options.maxAttempts) {
        const error = new ApiError(500, `the request was interrupted ${request.attempts - 1} times`, "server_error", null, "interrupted");
        this.end(request, {state: "failed", resultLine: answeredLine(request.customId, newRequestId(), 500, error.toBody())}, null);
        continue;
      }
      let plan: CompletionPlan;
      try {
        plan = planBatchRequest(this.options.registry, request.endpoint, request.body);
      } catch (error) {
        this.refused(request, error, null);
        continue;
      }
      const room = this.roomOf(plan.model.engine);
      room.queue.push({claimed: request, plan});
      touched.add(room);
    }
    for (const room of touched) this.fill(room);
  }

  /** Submits queued requests while the engine has room for them. */
  private fill(room: Room): void {
    let available = room.queue.length > 0 ? room.available() : (room.observe(), 0);
    for (; available > 0 && room.queue.length > 0; available--) this.submit(room, room.queue.shift()!);
    if (!this.hasNoWork && !this.isClosed && this.numWanted() > 0) void this.claim();
  }

  private submit(room: Room, planned: Planned): void {
    const {claimed, plan} = planned;
    let request: StartedBatchRequest;
    try {
      request = startBatchRequest(plan, this.options.log.child({batchId: claimed.batchId, customId: claimed.customId}));
    } catch (error) {
      this.refused(claimed, error, plan);
      return;
    }
    const running: Running = {...planned, room, request, isEndedInEngine: false, stopReason: null};
    room.numInFlight++;
    this.running.set(plan.id, running);
    const answered = answerOf(claimed.customId, request).then((answer) => this.onAnswer(running, answer),
      (error: unknown) => this.onAnswer(running, {kind: "interrupted"}, error));
    this.answers.add(answered);
    void answered.finally(() => this.answers.delete(answered));
  }

  /** A request the pipeline refused: busy or not servable now (handed back), or the client error it would get online. */
  private refused(claimed: ClaimedRequest, error: unknown, plan: CompletionPlan | null): void {
    const apiError = toApiError(error);
    if (error instanceof EngineError || apiError.statusCode === 429 || apiError.statusCode === 503) {
      // Handed back, and nothing more is claimed until the next poll: the engine is full or closing.
      this.hasNoWork = true;
      this.end(claimed, {state: "pending"}, null, false);
      return;
    }
    this.end(claimed, {state: "failed", resultLine: answeredLine(claimed.customId, newRequestId(), apiError.statusCode, apiError.toBody())}, plan);
  }

  private onAnswer(running: Running, answer: BatchAnswer, error?: unknown): void {
    if (error !== undefined) this.options.log.error({err: error}, "a batch request failed unexpectedly");
    this.running.delete(running.plan.id);
    if (!running.isEndedInEngine) running.room.numInFlight--;
    const {claimed, plan} = running;
    if (answer.kind === "answered") {
      this.end(claimed, {state: answer.statusCode === 200 ? "completed" : "failed", resultLine: answer.resultLine}, plan);
    } else if (running.stopReason === "cancel") {
      this.end(claimed, {state: "cancelled"}, plan);
    } else {
      this.end(claimed, {state: "pending"}, null, running.stopReason !== "shutdown");
    }
    this.fill(running.room);
  }

  private end(claimed: ClaimedRequest, end: RequestEnd, plan: CompletionPlan | null, isAttemptCounted = true): void {
    const ended: EndedRequest = {batchId: claimed.batchId, line: claimed.line, end, isAttemptCounted};
    this.writer.add(ended);
    if (end.state !== "pending") {
      this.options.observer?.onEnded({modelName: plan?.model.name ?? "", variant: plan?.assignment.variant.name ?? ""}, end.state);
    }
  }
}
