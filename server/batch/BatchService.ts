/**
 * Batch serving's lifecycle in one server process: opens the store (the embedded database in the
 * data directory, or a PostgreSQL server), lazily unless an earlier run left batches to resume;
 * registers this process as a worker; and every poll interval keeps its heartbeat, hands back claims
 * of dead workers, validates new batches, stops cancelled and expired ones, finalizes finished ones
 * and wakes the runner. Owns the order of these; the routes and metrics read the store through it.
 */
import type {FastifyBaseLogger} from "fastify";
import {EngineError} from "../../engine/errors.ts";
import {ApiError} from "../errors.ts";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {BatchRunner, type BatchRequestObserver} from "./BatchRunner.ts";
import {finalizeBatch} from "./finalizeBatch.ts";
import {ACTIVE_STATUSES, BatchStore} from "./store/BatchStore.ts";
import {FileStore} from "./store/FileStore.ts";
import {newWorkerId} from "./store/ids.ts";
import {hasEmbeddedDatabase, openEmbeddedDatabase} from "./store/pgliteClient.ts";
import {openPostgresDatabase} from "./store/postgresClient.ts";
import {RequestStore} from "./store/RequestStore.ts";
import {createSchema} from "./store/schema.ts";
import type {SqlClient} from "./store/SqlClient.ts";
import type {StoredBatch} from "./types.ts";
import {validateInput} from "./validateInput.ts";

export interface BatchServiceOptions {
  readonly registry: ModelRegistry;
  /** Where the embedded database lives (`--data-dir`); unused with a database URL. */
  readonly dataDir: string;
  /** `--database-url`: a PostgreSQL server shared by replicas; undefined: the embedded database. */
  readonly databaseUrl: string | undefined;
  readonly maxInFlight: number;
  /** `--batch-max-beside-online`: most batch requests in one engine while online ones run there. */
  readonly maxBesideOnline: number;
  /** `--batch-lease-timeout`: a worker silent this long loses its claims to the others. */
  readonly leaseTimeoutMs: number;
  /** How long a peak of online requests keeps its sequences from the batch. */
  readonly onlineHoldMs?: number;
}

/** Longer than a scripted client's turn-around between two requests, short enough to be gone before a batch notices. */
const DEFAULT_ONLINE_HOLD_MS = 1_000;
/** Crashes or timeouts a request may meet before it fails. */
const MAX_ATTEMPTS = 3;

interface OpenStore {
  readonly db: SqlClient;
  readonly files: FileStore;
  readonly batches: BatchStore;
  readonly requests: RequestStore;
  readonly runner: BatchRunner;
  readonly timer: NodeJS.Timeout;
}

export class BatchService {
  readonly workerId = newWorkerId();
  private opening: Promise<OpenStore> | null = null;
  private open: OpenStore | null = null;
  private ticking: Promise<void> | null = null;
  private isClosed = false;
  private observer: BatchRequestObserver | undefined;
  /** The app's logger, once `buildApp` has made it; batch requests log their lines through it. */
  private log: FastifyBaseLogger | null = null;

  constructor(private readonly options: BatchServiceOptions) {}

  /** Called by `buildApp`: the app's logger, before the store opens. */
  useLog(log: FastifyBaseLogger): void {
    this.log = log;
  }

  private get logger(): FastifyBaseLogger {
    if (this.log === null) throw new Error("BatchService: useLog() was not called");
    return this.log;
  }

  /** Opens the store now if there is work to resume (a database URL, or a data directory with a database). */
  async openIfExists(): Promise<void> {
    if (this.options.databaseUrl !== undefined || hasEmbeddedDatabase(this.options.dataDir)) await this.store();
  }

  /** Counts what this worker ends; set before the store opens. */
  observe(observer: BatchRequestObserver): void {
    this.observer = observer;
  }

  /** The open store; a 503 in OpenAI's shape when it cannot be opened. */
  async store(): Promise<OpenStore> {
    if (this.isClosed) throw new ApiError(503, "the server is shutting down", "server_error", null, "shutting_down");
    this.opening ??= this.openStore();
    try {
      return await this.opening;
    } catch (error) {
      this.opening = null;
      throw new ApiError(503, `batch storage is unavailable: ${(error as Error).message}`, "server_error", null, "storage_unavailable");
    }
  }

  /** True for the engine ids of batch requests running here. */
  isBatchRequest(requestId: string): boolean {
    return this.open?.runner.isBatchRequest(requestId) ?? false;
  }

  /** Batches not finished yet, for live stats; none before the store is open. */
  async activeBatches(): Promise<StoredBatch[]> {
    return this.open ? this.open.batches.withStatus(ACTIVE_STATUSES) : [];
  }

  async backlog(): Promise<number> {
    return this.open ? this.open.batches.backlog() : 0;
  }

  get numHeld(): number {
    return this.open?.runner.numHeld ?? 0;
  }

  /** A batch was created or cancelled here: act on it now rather than at the next poll. */
  poke(): void {
    if (this.open) void this.tick(this.open);
  }

  /** Stops running requests and hands unfinished ones back (shutdown); the store stays open for reads. */
  async stopRunning(): Promise<void> {
    this.isClosed = true;
    const open = this.open ?? (this.opening ? await this.opening.catch(() => null) : null);
    if (!open) return;
    clearInterval(open.timer);
    await this.ticking;
    await open.runner.close();
    await open.requests.releaseAll().catch((error: unknown) => this.logger.error({err: error}, "batch claims could not be handed back"));
  }

  async close(): Promise<void> {
    await this.stopRunning();
    await this.open?.db[Symbol.asyncDispose]();
    this.open = null;
  }

  private async openStore(): Promise<OpenStore> {
    const {options} = this;
    const db = options.databaseUrl !== undefined ? await openPostgresDatabase(options.databaseUrl) : await openEmbeddedDatabase(options.dataDir);
    try {
      await createSchema(db);
      const files = new FileStore(db);
      const batches = new BatchStore(db);
      const requests = new RequestStore(db, this.workerId);
      await requests.heartbeat();
      const reclaimed = await requests.reclaimDead(options.leaseTimeoutMs, db.isExclusive);
      const runner = new BatchRunner({
        registry: options.registry, requests, log: this.logger, maxInFlight: options.maxInFlight, maxBesideOnline: options.maxBesideOnline, onlineHoldMs: options.onlineHoldMs ?? DEFAULT_ONLINE_HOLD_MS,
        maxAttempts: MAX_ATTEMPTS, observer: this.observer, onWritten: (batchIds) => this.finalize(batchIds)
      });
      const pollMs = Math.min(1000, options.leaseTimeoutMs / 3);
      const timer = setInterval(() => { if (this.open) void this.tick(this.open); }, pollMs).unref();
      this.open = {db, files, batches, requests, runner, timer};
      this.logger.info({store: db.description, workerId: this.workerId, reclaimedRequests: reclaimed}, "batch store open");
      for (const batch of await batches.withStatus(["in_progress"])) {
        this.logger.info({batchId: batch.id, answered: batch.completed + batch.failed, total: batch.total}, "batch resumes");
      }
      void this.tick(this.open);
      return this.open;
    } catch (error) {
      await db[Symbol.asyncDispose]();
      throw error;
    }
  }

  private tick(open: OpenStore): Promise<void> {
    this.ticking ??= this.runTick(open)
      .catch((error: unknown) => this.logger.error({err: error}, "batch supervision failed"))
      .finally(() => { this.ticking = null; });
    return this.ticking;
  }

  private async runTick(open: OpenStore): Promise<void> {
    if (this.isClosed) return;
    await open.requests.heartbeat();
    if (!open.db.isExclusive) await open.requests.reclaimDead(this.options.leaseTimeoutMs, false);
    await open.batches.markExpired();
    const active = await open.batches.withStatus(ACTIVE_STATUSES);
    for (const batch of active) if (batch.status === "validating") await this.validate(open, batch);
    const stopped = new Set(active.filter((batch) => batch.status === "cancelling" || batch.expiredAt !== null).map((batch) => batch.id));
    if (stopped.size > 0) open.runner.stop(stopped);
    for (const batch of active) if (batch.status !== "validating") await this.finalizeOne(open, batch.id);
    open.runner.wake();
  }

  private async validate(open: OpenStore, batch: StoredBatch): Promise<void> {
    const file = await open.files.get(batch.inputFileId);
    if (file === null) {
      await open.batches.fail(batch.id, [{code: "file_not_found", message: `the input file ${batch.inputFileId} no longer exists`, param: "input_file_id", line: null}]);
      return;
    }
    let validated;
    try {
      validated = await validateInput(this.options.registry, batch.endpoint, open.files.content(file.id));
    } catch (error) {
      if (error instanceof EngineError) return;
      throw error;
    }
    if (validated.errors.length > 0) {
      await open.batches.fail(batch.id, validated.errors);
      this.logger.info({batchId: batch.id, numErrors: validated.errors.length}, "batch failed validation");
    } else if (await open.batches.start(batch.id, validated.lines)) {
      this.logger.info({batchId: batch.id, total: validated.lines.length}, "batch started");
    }
  }

  private finalize(batchIds: readonly string[]): void {
    const {open} = this;
    if (!open) return;
    for (const batchId of batchIds) void this.finalizeOne(open, batchId);
  }

  private async finalizeOne(open: OpenStore, batchId: string): Promise<void> {
    try {
      if (await finalizeBatch(open.db, open.files, batchId)) {
        const batch = await open.batches.get(batchId);
        this.logger.info({batchId, status: batch?.status, completed: batch?.completed, failed: batch?.failed, total: batch?.total}, "batch finished");
      }
    } catch (error) {
      this.logger.error({err: error, batchId}, "batch could not be finalized");
    }
  }
}
