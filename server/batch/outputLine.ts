/**
 * The lines of a batch's output and error files, in OpenAI's shape:
 * `{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`. A request the
 * endpoint answered has a `response` (a 200 goes to the output file, any other status to the error
 * file with the error body the endpoint would have sent); a request the batch never ran (cancelled,
 * expired) has `response: null` and an `error` with OpenAI's code. The server and the offline CLI
 * write the same lines.
 */
import type {OpenAiErrorBody} from "../errors.ts";
import {newBatchRequestId} from "./store/ids.ts";

export function answeredLine(customId: string, requestId: string, statusCode: number, body: object | OpenAiErrorBody): string {
  return JSON.stringify({id: newBatchRequestId(), custom_id: customId, response: {status_code: statusCode, request_id: requestId, body}, error: null});
}

/** Why a request of a stopped batch did not run. */
export type StopReason = "cancelled" | "expired";

const STOPPED_ERRORS: Readonly<Record<StopReason, {code: string; message: string}>> = {
  cancelled: {code: "batch_cancelled", message: "The batch was cancelled before this request was executed."},
  expired: {code: "batch_expired", message: "This request could not be executed before the completion window expired."}
};

export function stoppedLine(customId: string, reason: StopReason): string {
  return JSON.stringify({id: newBatchRequestId(), custom_id: customId, response: null, error: STOPPED_ERRORS[reason]});
}
