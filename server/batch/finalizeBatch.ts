/**
 * The end of a batch: once no request of a running batch is pending or running, it is `finalizing`
 * while its output file (answers with status 200, in line order) and error file (other answers, and
 * the requests a cancelled or expired batch never ran) are written, then `completed`, `cancelled` or
 * `expired`, in one transaction: a replica that dies half-way leaves the batch `finalizing` for any
 * other to finish. Owns that transition; the answers themselves are in the request rows.
 */
import type {FileStore} from "./store/FileStore.ts";
import {ChunkWriter} from "./store/FileStore.ts";
import {newFileId, nowSeconds} from "./store/ids.ts";
import type {SqlClient, SqlQueryable} from "./store/SqlClient.ts";
import {type StopReason, stoppedLine} from "./outputLine.ts";

/** Request rows read per query while the files are written. */
const PAGE_LINES = 1000;

interface RequestRow {
  line: number;
  custom_id: string;
  state: string;
  result: string | null;
}

interface LockedBatch {
  status: string;
  expired_at: number | null;
}

/** Writes both files from the request rows; returns their ids (null for an empty one). */
async function writeFiles(tx: SqlQueryable, files: FileStore, batchId: string, stopReason: StopReason | null): Promise<{output: string | null; error: string | null}> {
  const output = new ChunkWriter(tx, newFileId());
  const error = new ChunkWriter(tx, newFileId());
  for (let afterLine = 0; ;) {
    const rows = await tx.query<RequestRow>(
      "SELECT line, custom_id, state, result FROM inflight_batch_requests WHERE batch_id = $1 AND line > $2 ORDER BY line LIMIT $3", [batchId, afterLine, PAGE_LINES]);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.state === "completed") await output.write(Buffer.from(`${row.result}\n`));
      else if (row.state === "failed") await error.write(Buffer.from(`${row.result}\n`));
      else if (row.state === "cancelled") await error.write(Buffer.from(`${stoppedLine(row.custom_id, stopReason ?? "cancelled")}\n`));
    }
    afterLine = rows[rows.length - 1]!.line;
  }
  await output.end();
  await error.end();
  const outputFile = output.numBytes > 0 ? await files.insertRow(tx, output, `${batchId}_output.jsonl`, "batch_output") : null;
  const errorFile = error.numBytes > 0 ? await files.insertRow(tx, error, `${batchId}_error.jsonl`, "batch_output") : null;
  return {output: outputFile?.id ?? null, error: errorFile?.id ?? null};
}

function stopReasonOf(batch: LockedBatch): StopReason | null {
  if (batch.status === "cancelling") return "cancelled";
  return batch.expired_at !== null ? "expired" : null;
}

/**
 * Finishes the batch if it is ready: all its requests answered, or (cancelled, expired) none of them
 * still running anywhere. Returns true when this call finished it.
 */
export async function finalizeBatch(db: SqlClient, files: FileStore, batchId: string): Promise<boolean> {
  await db.query(
    `UPDATE inflight_batches SET status = 'finalizing', finalizing_at = $2 WHERE id = $1 AND status = 'in_progress' AND expired_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM inflight_batch_requests WHERE batch_id = $1 AND state IN ('pending', 'running'))`, [batchId, nowSeconds()]);
  return db.transaction(async (tx) => {
    const locked = await tx.query<LockedBatch>(
      `SELECT status, expired_at FROM inflight_batches WHERE id = $1
       AND (status IN ('finalizing', 'cancelling') OR (status = 'in_progress' AND expired_at IS NOT NULL)) FOR UPDATE SKIP LOCKED`, [batchId]);
    const batch = locked[0];
    if (batch === undefined) return false;
    const stopReason = stopReasonOf(batch);
    if (stopReason !== null) {
      const running = await tx.query("SELECT 1 FROM inflight_batch_requests WHERE batch_id = $1 AND state = 'running' LIMIT 1", [batchId]);
      if (running.length > 0) return false;
      await tx.query("UPDATE inflight_batch_requests SET state = 'cancelled' WHERE batch_id = $1 AND state = 'pending'", [batchId]);
    }
    const fileIds = await writeFiles(tx, files, batchId, stopReason);
    const now = nowSeconds();
    const status = stopReason === null ? "completed" : stopReason;
    const endColumn = stopReason === null ? "completed_at" : stopReason === "cancelled" ? "cancelled_at" : "expired_at";
    await tx.query(
      `UPDATE inflight_batches SET status = $2, output_file_id = $3, error_file_id = $4, finalizing_at = COALESCE(finalizing_at, $5), ${endColumn} = COALESCE(${endColumn}, $5)
       WHERE id = $1`, [batchId, status, fileIds.output, fileIds.error, now]);
    return true;
  });
}
