/**
 * The batch store's tables, created when missing. Files live in the database (their bytes in chunks),
 * so replicas that share a PostgreSQL server share everything through it and need no shared disk.
 * Requests are one row each, with the state that makes restarts and replicas safe: a row is claimed
 * by one worker at a time, and its answer is written once, by the worker that holds the claim.
 *
 *   request state:  pending --claim--> running --answer--> completed | failed
 *                      ^                  |
 *                      +-- release -------+   (shutdown, or a worker whose heartbeat stopped)
 *                   pending | running --batch cancelled or expired--> cancelled
 */
import type {SqlClient} from "./SqlClient.ts";

/** Two replicas starting together must not both create the tables. */
const MIGRATION_LOCK_KEY = 8_145_220_931;

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS inflight_files (
    id text PRIMARY KEY,
    seq bigserial UNIQUE,
    filename text NOT NULL,
    purpose text NOT NULL,
    bytes double precision NOT NULL,
    created_at double precision NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS inflight_file_chunks (
    file_id text NOT NULL,
    part int NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (file_id, part)
  )`,
  `CREATE TABLE IF NOT EXISTS inflight_batches (
    id text PRIMARY KEY,
    seq bigserial UNIQUE,
    endpoint text NOT NULL,
    input_file_id text NOT NULL,
    completion_window text NOT NULL,
    status text NOT NULL,
    metadata jsonb,
    errors jsonb,
    output_file_id text,
    error_file_id text,
    total int NOT NULL DEFAULT 0,
    completed int NOT NULL DEFAULT 0,
    failed int NOT NULL DEFAULT 0,
    created_at double precision NOT NULL,
    in_progress_at double precision,
    expires_at double precision NOT NULL,
    finalizing_at double precision,
    completed_at double precision,
    failed_at double precision,
    expired_at double precision,
    cancelling_at double precision,
    cancelled_at double precision
  )`,
  `CREATE TABLE IF NOT EXISTS inflight_batch_requests (
    batch_id text NOT NULL,
    line int NOT NULL,
    custom_id text NOT NULL,
    body text NOT NULL,
    state text NOT NULL,
    claimed_by text,
    attempts int NOT NULL DEFAULT 0,
    result text,
    PRIMARY KEY (batch_id, line)
  )`,
  "CREATE INDEX IF NOT EXISTS inflight_batch_requests_pending ON inflight_batch_requests (batch_id, line) WHERE state = 'pending'",
  "CREATE INDEX IF NOT EXISTS inflight_batch_requests_running ON inflight_batch_requests (claimed_by) WHERE state = 'running'",
  `CREATE TABLE IF NOT EXISTS inflight_workers (
    id text PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL
  )`
];

export async function createSchema(db: SqlClient): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    for (const statement of STATEMENTS) await tx.query(statement);
  });
}
