/**
 * Batch rows: created as `validating`, started (with their request rows) or failed by validation,
 * cancelled, listed newest first. Every change of status is one guarded UPDATE, so replicas that act
 * on the same batch at once cannot both make the same transition. Owns the batches' rows; request
 * rows are `RequestStore.ts`'s, finalization `finalizeBatch.ts`'s.
 */
import type {BatchEndpoint, BatchLineError, BatchRequestLine, BatchStatus, StoredBatch} from "../types.ts";
import {newBatchId, nowSeconds} from "./ids.ts";
import type {SqlClient} from "./SqlClient.ts";

/** `completion_window: "24h"`, the only one OpenAI offers. */
const COMPLETION_WINDOW_S = 24 * 60 * 60;
/** Request rows inserted per statement. */
const INSERT_CHUNK_LINES = 1000;

/** Statuses a batch leaves only by finishing. */
export const ACTIVE_STATUSES: readonly BatchStatus[] = ["validating", "in_progress", "finalizing", "cancelling"];

type BatchRow = Record<string, unknown>;

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** jsonb comes back parsed from both drivers. */
function toBatch(row: BatchRow): StoredBatch {
  return {
    id: row.id as string, endpoint: row.endpoint as BatchEndpoint, inputFileId: row.input_file_id as string,
    completionWindow: row.completion_window as string, status: row.status as BatchStatus,
    metadata: (row.metadata as Record<string, string> | null) ?? null, errors: (row.errors as BatchLineError[] | null) ?? null,
    outputFileId: (row.output_file_id as string | null) ?? null, errorFileId: (row.error_file_id as string | null) ?? null,
    total: row.total as number, completed: row.completed as number, failed: row.failed as number,
    createdAt: row.created_at as number, inProgressAt: num(row.in_progress_at), expiresAt: row.expires_at as number,
    finalizingAt: num(row.finalizing_at), completedAt: num(row.completed_at), failedAt: num(row.failed_at), expiredAt: num(row.expired_at),
    cancellingAt: num(row.cancelling_at), cancelledAt: num(row.cancelled_at)
  };
}

export interface NewBatch {
  readonly endpoint: BatchEndpoint;
  readonly inputFileId: string;
  readonly completionWindow: string;
  readonly metadata: Readonly<Record<string, string>> | null;
}

export type CancelResult = {readonly kind: "cancelling"; readonly batch: StoredBatch} | {readonly kind: "final"; readonly batch: StoredBatch} | {readonly kind: "missing"};

export class BatchStore {
  constructor(private readonly db: SqlClient) {}

  async create(batch: NewBatch): Promise<StoredBatch> {
    const createdAt = nowSeconds();
    const rows = await this.db.query(
      `INSERT INTO inflight_batches (id, endpoint, input_file_id, completion_window, status, metadata, created_at, expires_at)
       VALUES ($1, $2, $3, $4, 'validating', $5::jsonb, $6, $7) RETURNING *`,
      [newBatchId(), batch.endpoint, batch.inputFileId, batch.completionWindow, batch.metadata === null ? null : JSON.stringify(batch.metadata),
        createdAt, createdAt + COMPLETION_WINDOW_S]);
    return toBatch(rows[0]!);
  }

  async get(id: string): Promise<StoredBatch | null> {
    const rows = await this.db.query("SELECT * FROM inflight_batches WHERE id = $1", [id]);
    return rows[0] ? toBatch(rows[0]) : null;
  }

  /** Newest first, after the batch `after` when given. */
  async list(after: string | undefined, limit: number): Promise<{batches: StoredBatch[]; hasMore: boolean}> {
    const rows = after === undefined
      ? await this.db.query("SELECT * FROM inflight_batches ORDER BY seq DESC LIMIT $1", [limit + 1])
      : await this.db.query("SELECT * FROM inflight_batches WHERE seq < (SELECT seq FROM inflight_batches WHERE id = $2) ORDER BY seq DESC LIMIT $1",
        [limit + 1, after]);
    return {batches: rows.slice(0, limit).map(toBatch), hasMore: rows.length > limit};
  }

  /** Batches in any of `statuses`, oldest first. */
  async withStatus(statuses: readonly BatchStatus[]): Promise<StoredBatch[]> {
    const rows = await this.db.query("SELECT * FROM inflight_batches WHERE status = ANY($1::text[]) ORDER BY seq", [[...statuses]]);
    return rows.map(toBatch);
  }

  /** Validation passed: the request rows are written and the batch runs, unless someone else got there first. */
  async start(batchId: string, lines: readonly BatchRequestLine[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const locked = await tx.query("SELECT id FROM inflight_batches WHERE id = $1 AND status = 'validating' FOR UPDATE SKIP LOCKED", [batchId]);
      if (locked.length === 0) return false;
      for (let start = 0; start < lines.length; start += INSERT_CHUNK_LINES) {
        const chunk = lines.slice(start, start + INSERT_CHUNK_LINES);
        await tx.query(
          `INSERT INTO inflight_batch_requests (batch_id, line, custom_id, body, state)
           SELECT $1, line, custom_id, body, 'pending' FROM unnest($2::int[], $3::text[], $4::text[]) AS input(line, custom_id, body)`,
          [batchId, chunk.map((line) => line.line), chunk.map((line) => line.customId), chunk.map((line) => line.body)]);
      }
      await tx.query("UPDATE inflight_batches SET status = 'in_progress', total = $2, in_progress_at = $3 WHERE id = $1", [batchId, lines.length, nowSeconds()]);
      return true;
    });
  }

  /** Validation found problems (or the input file is gone): the batch fails without running. */
  async fail(batchId: string, errors: readonly BatchLineError[]): Promise<void> {
    await this.db.query("UPDATE inflight_batches SET status = 'failed', errors = $2::jsonb, failed_at = $3 WHERE id = $1 AND status = 'validating'",
      [batchId, JSON.stringify(errors), nowSeconds()]);
  }

  /**
   * Asks a batch to stop: a validating batch is cancelled at once; a running one becomes `cancelling`
   * until its requests in flight have ended and its output is written. A finished batch is returned as it is.
   */
  async cancel(batchId: string): Promise<CancelResult> {
    const now = nowSeconds();
    const validating = await this.db.query(
      "UPDATE inflight_batches SET status = 'cancelled', cancelling_at = $2, cancelled_at = $2 WHERE id = $1 AND status = 'validating' RETURNING *", [batchId, now]);
    if (validating[0]) return {kind: "cancelling", batch: toBatch(validating[0])};
    const running = await this.db.query(
      "UPDATE inflight_batches SET status = 'cancelling', cancelling_at = $2 WHERE id = $1 AND status IN ('in_progress', 'finalizing') RETURNING *", [batchId, now]);
    if (running[0]) return {kind: "cancelling", batch: toBatch(running[0])};
    const batch = await this.get(batchId);
    if (batch === null) return {kind: "missing"};
    return {kind: batch.status === "cancelling" ? "cancelling" : "final", batch};
  }

  /** Marks running batches whose completion window has passed; they stop as a cancelled one does, and end `expired`. */
  async markExpired(): Promise<void> {
    await this.db.query("UPDATE inflight_batches SET expired_at = $1 WHERE status = 'in_progress' AND expired_at IS NULL AND expires_at <= $1", [nowSeconds()]);
  }

  /** Requests of running batches not answered yet, over every replica. */
  async backlog(): Promise<number> {
    const rows = await this.db.query<{n: number}>(
      "SELECT COALESCE(sum(total - completed - failed), 0)::int AS n FROM inflight_batches WHERE status IN ('in_progress', 'finalizing')");
    return rows[0]!.n;
  }
}
