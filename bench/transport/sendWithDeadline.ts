/**
 * The frame every transport puts around one request: a recorder for its moments, a deadline for its
 * time limit and cancellation, and the rule that nothing leaves a transport as an exception, so a
 * failed or late request is recorded the same way whichever protocol carried it. How the request
 * travels is the exchange's business.
 */
import type {RequestResult, RequestSpec} from "../types.ts";
import {RequestDeadline} from "./deadline.ts";
import {classifyError} from "./RequestFailure.ts";
import {RequestRecorder} from "./RequestRecorder.ts";
import type {TransportContext} from "./types.ts";

/** One request as the driver hands it to a transport. */
export interface OutgoingRequest {
  readonly spec: RequestSpec;
  /** `performance.now()` at the start of the round. */
  readonly roundStartMs: number;
  /** The run's cancellation; the request is then reported as `aborted`. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Carries out one request and returns its result: the exchange's, or a failed one built from
 * whatever the exchange threw (`timeout` or `aborted` when the deadline fired).
 * @param isStreaming whether TPOT is defined for the result.
 * @param exchange sends the request, feeding `recorder`; `signal` fires at the deadline or on abort.
 */
export async function sendWithDeadline(
  request: OutgoingRequest,
  context: TransportContext,
  isStreaming: boolean,
  exchange: (recorder: RequestRecorder, signal: AbortSignal) => Promise<RequestResult>
): Promise<RequestResult> {
  const recorder = new RequestRecorder(request.spec, context.counter, request.roundStartMs, isStreaming);
  const deadline = new RequestDeadline(context.config.timeoutMs, request.signal);
  try {
    return await exchange(recorder, deadline.signal);
  } catch (error) {
    const failure = classifyError(error, deadline);
    return recorder.fail(failure.type, failure.message, performance.now());
  } finally {
    deadline.dispose();
  }
}
