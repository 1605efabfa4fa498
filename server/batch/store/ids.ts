/** Ids in OpenAI's styles: `file-...`, `batch_...`, `batch_req_...`, `req_...`. */
import {randomBytes} from "node:crypto";

const randomHex = (): string => randomBytes(12).toString("hex");

export const newFileId = (): string => `file-${randomHex()}`;
export const newBatchId = (): string => `batch_${randomHex()}`;
export const newBatchRequestId = (): string => `batch_req_${randomHex()}`;
export const newRequestId = (): string => `req_${randomHex()}`;
/** A worker: one server process's runner, for as long as it lives. */
export const newWorkerId = (): string => `worker_${randomHex()}`;

/** Unix seconds, as OpenAI's `created_at` and the other timestamps. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
