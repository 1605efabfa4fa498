/** The file and batch objects of OpenAI's API, from the stored rows. */
import type {StoredBatch, StoredFile} from "./types.ts";

export function fileObject(file: StoredFile) {
  return {
    id: file.id, object: "file", bytes: file.bytes, created_at: file.createdAt, filename: file.filename, purpose: file.purpose,
    status: "processed", status_details: null, expires_at: null
  };
}

export function batchObject(batch: StoredBatch) {
  return {
    id: batch.id, object: "batch", endpoint: batch.endpoint,
    errors: batch.errors === null ? null : {object: "list", data: batch.errors},
    input_file_id: batch.inputFileId, completion_window: batch.completionWindow, status: batch.status,
    output_file_id: batch.outputFileId, error_file_id: batch.errorFileId,
    created_at: batch.createdAt, in_progress_at: batch.inProgressAt, expires_at: batch.expiresAt, finalizing_at: batch.finalizingAt,
    completed_at: batch.completedAt, failed_at: batch.failedAt, expired_at: batch.expiredAt, cancelling_at: batch.cancellingAt,
    cancelled_at: batch.cancelledAt,
    request_counts: {total: batch.total, completed: batch.completed, failed: batch.failed},
    metadata: batch.metadata
  };
}

/** OpenAI's list page: `data`, `first_id`, `last_id`, `has_more`. */
export function listPage<T extends {id: string}>(items: readonly T[], hasMore: boolean, toObject: (item: T) => object) {
  return {object: "list", data: items.map(toObject), first_id: items[0]?.id ?? null, last_id: items[items.length - 1]?.id ?? null, has_more: hasMore};
}
