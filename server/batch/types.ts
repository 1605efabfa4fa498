/**
 * The records of batch serving: files and batches as stored, the OpenAI objects they become, and a
 * batch's request lines. Plain readonly data; no behaviour.
 */

/** OpenAI's batch statuses. */
export type BatchStatus = "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "expired" | "cancelling" | "cancelled";

/** The endpoints a batch may call. */
export const BATCH_ENDPOINTS = ["/v1/chat/completions", "/v1/completions"] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

/** `purpose` of uploaded input files, and of the files a batch writes. */
export type FilePurpose = "batch" | "batch_output";

export interface StoredFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: FilePurpose;
  readonly bytes: number;
  /** Unix seconds. */
  readonly createdAt: number;
}

/** One problem found while validating a batch's input, by line (1-based) when it has one. */
export interface BatchLineError {
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
  readonly line: number | null;
}

/** A batch row. Times are Unix seconds, null until reached. */
export interface StoredBatch {
  readonly id: string;
  readonly endpoint: BatchEndpoint;
  readonly inputFileId: string;
  readonly completionWindow: string;
  readonly status: BatchStatus;
  readonly metadata: Readonly<Record<string, string>> | null;
  readonly errors: readonly BatchLineError[] | null;
  readonly outputFileId: string | null;
  readonly errorFileId: string | null;
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly createdAt: number;
  readonly inProgressAt: number | null;
  readonly expiresAt: number;
  readonly finalizingAt: number | null;
  readonly completedAt: number | null;
  readonly failedAt: number | null;
  readonly expiredAt: number | null;
  readonly cancellingAt: number | null;
  readonly cancelledAt: number | null;
}

/** A validated input line: what the runner executes. */
export interface BatchRequestLine {
  /** 1-based line number in the input file. */
  readonly line: number;
  readonly customId: string;
  /** The request body as JSON text. */
  readonly body: string;
}

/** A request claimed by this worker: a line of a batch that now runs here. */
export interface ClaimedRequest extends BatchRequestLine {
  readonly batchId: string;
  readonly endpoint: BatchEndpoint;
  /** Claims so far, this one included. */
  readonly attempts: number;
}

/** How a request ended, as written to its row. `pending` hands it back to be claimed again. */
export type RequestEnd =
  | {readonly state: "completed" | "failed"; readonly resultLine: string}
  | {readonly state: "cancelled"}
  | {readonly state: "pending"};
