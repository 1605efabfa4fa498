/**
 * Request rows and the claims on them. A worker claims pending rows of running batches (oldest batch
 * first, in line order; `FOR UPDATE SKIP LOCKED`, so replicas never claim the same row), answers
 * them, and writes each answer only while it still holds the claim: a worker whose heartbeat stopped
 * loses its claims to the others, and its late answers are dropped, so each request is answered once.
 * Owns the rows' states, the workers' heartbeats and the batches' counters.
 */
import type {ClaimedRequest, RequestEnd} from "../types.ts";
import type {SqlClient} from "./SqlClient.ts";

export interface EndedRequest {
  readonly batchId: string;
  readonly line: number;
  readonly end: RequestEnd;
  /** For `pending`: whether the claim counts as an attempt (false when it was handed back unstarted). */
  readonly isAttemptCounted?: boolean;
}

interface ClaimRow {
  batch_id: string;
  line: number;
  custom_id: string;
  body: string;
  endpoint: ClaimedRequest["endpoint"];
  attempts: number;
}

export class RequestStore {
  constructor(private readonly db: SqlClient, private readonly workerId: string) {}

  /** Registers this worker, or keeps it alive. */
  async heartbeat(): Promise<void> {
    await this.db.query(
      "INSERT INTO inflight_workers (id, heartbeat_at) VALUES ($1, now()) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()", [this.workerId]);
  }

  /**
   * Hands claims of dead workers back: every claim but this worker's when the database is this
   * process's alone, otherwise those of workers silent for `leaseMs`. Returns how many.
   */
  async reclaimDead(leaseMs: number, isExclusive: boolean): Promise<number> {
    if (isExclusive) {
      await this.db.query("DELETE FROM inflight_workers WHERE id <> $1", [this.workerId]);
    } else {
      await this.db.query("DELETE FROM inflight_workers WHERE heartbeat_at < now() - $1 * interval '1 millisecond'", [leaseMs]);
    }
    const rows = await this.db.query(
      `UPDATE inflight_batch_requests r SET state = 'pending', claimed_by = NULL
       WHERE r.state = 'running' AND NOT EXISTS (SELECT 1 FROM inflight_workers w WHERE w.id = r.claimed_by) RETURNING r.line`);
    return rows.length;
  }

  /** Claims up to `limit` pending requests of running batches. */
  async claim(limit: number): Promise<ClaimedRequest[]> {
    if (limit <= 0) return [];
    const rows = await this.db.query<ClaimRow>(
      `WITH picked AS (
         SELECT r.batch_id, r.line FROM inflight_batch_requests r JOIN inflight_batches b ON b.id = r.batch_id
         WHERE r.state = 'pending' AND b.status = 'in_progress' AND b.expired_at IS NULL
         ORDER BY b.seq, r.line LIMIT $2 FOR UPDATE OF r SKIP LOCKED)
       UPDATE inflight_batch_requests r SET state = 'running', claimed_by = $1, attempts = r.attempts + 1
       FROM picked, inflight_batches b WHERE r.batch_id = picked.batch_id AND r.line = picked.line AND b.id = r.batch_id
       RETURNING r.batch_id, r.line, r.custom_id, r.body, b.endpoint, r.attempts`, [this.workerId, limit]);
    return rows
      .map((row) => ({batchId: row.batch_id, line: row.line, customId: row.custom_id, body: row.body, endpoint: row.endpoint, attempts: row.attempts}))
      .sort((a, b) => (a.batchId === b.batchId ? a.line - b.line : 0));
  }

  /**
   * Writes how requests ended, in one statement, for those this worker still holds; the batches'
   * counters move with them. Returns the batches that may be ready to finalize: every request
   * answered, or stopping (cancelled, expired).
   */
  async record(ended: readonly EndedRequest[]): Promise<string[]> {
    if (ended.length === 0) return [];
    const rows = await this.db.query<{id: string; remaining: number; is_stopping: boolean}>(
      `WITH input AS (
         SELECT * FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::int[]) AS i(batch_id, line, state, result, uncounted)),
       done AS (
         UPDATE inflight_batch_requests r SET state = i.state, result = i.result,
           claimed_by = CASE WHEN i.state = 'pending' THEN NULL ELSE r.claimed_by END, attempts = r.attempts - i.uncounted
         FROM input i WHERE r.batch_id = i.batch_id AND r.line = i.line AND r.state = 'running' AND r.claimed_by = $1
         RETURNING r.batch_id, r.state),
       counts AS (
         SELECT batch_id, (count(*) FILTER (WHERE state = 'completed'))::int AS completed, (count(*) FILTER (WHERE state = 'failed'))::int AS failed
         FROM done GROUP BY batch_id)
       UPDATE inflight_batches b SET completed = b.completed + counts.completed, failed = b.failed + counts.failed
       FROM counts WHERE b.id = counts.batch_id
       RETURNING b.id, b.total - b.completed - b.failed AS remaining, (b.status = 'cancelling' OR b.expired_at IS NOT NULL) AS is_stopping`,
      [this.workerId, ended.map((request) => request.batchId), ended.map((request) => request.line), ended.map((request) => request.end.state),
        ended.map((request) => ("resultLine" in request.end ? request.end.resultLine : null)),
        ended.map((request) => (request.end.state === "pending" && request.isAttemptCounted === false ? 1 : 0))]);
    return rows.filter((row) => row.remaining === 0 || row.is_stopping).map((row) => row.id);
  }

  /** Hands back every claim this worker holds (shutdown), without counting them as attempts. */
  async releaseAll(): Promise<void> {
    await this.db.query(
      "UPDATE inflight_batch_requests SET state = 'pending', claimed_by = NULL, attempts = attempts - 1 WHERE state = 'running' AND claimed_by = $1",
      [this.workerId]);
    await this.db.query("DELETE FROM inflight_workers WHERE id = $1", [this.workerId]);
  }

  /** Requests of the batch not ended yet: pending, and running anywhere. */
  async numUnfinished(batchId: string): Promise<{pending: number; running: number}> {
    const rows = await this.db.query<{pending: number; running: number}>(
      `SELECT (count(*) FILTER (WHERE state = 'pending'))::int AS pending, (count(*) FILTER (WHERE state = 'running'))::int AS running
       FROM inflight_batch_requests WHERE batch_id = $1 AND state IN ('pending', 'running')`, [batchId]);
    return rows[0] ?? {pending: 0, running: 0};
  }

  /** The batches among `batchIds` that no longer run (cancelled or expired): their requests here should stop. */
  async stoppedAmong(batchIds: readonly string[]): Promise<string[]> {
    if (batchIds.length === 0) return [];
    const rows = await this.db.query<{id: string}>(
      "SELECT id FROM inflight_batches WHERE id = ANY($1::text[]) AND (status <> 'in_progress' OR expired_at IS NOT NULL)", [[...batchIds]]);
    return rows.map((row) => row.id);
  }
}
