/**
 * Choices of one prompt (`n` > 1) compute it once: a choice with `forkOf` waits in the queue until
 * the choice it names has its whole prompt in its sequence, then starts from a copy of it. These
 * functions tell who may be admitted and from where; placing is the scheduler's.
 */
import type {RequestState} from "./RequestState.ts";

/**
 * The running request whose prompt `request` should copy; "waiting" while that one has not computed
 * its prompt yet; undefined when there is nothing to wait for (no fork, or the source is gone, which
 * also clears the fork).
 */
export function forkSourceOf(request: RequestState, requests: ReadonlyMap<string, RequestState>): RequestState | "waiting" | undefined {
  if (request.forkOf === undefined) return undefined;
  const source = requests.get(request.forkOf);
  if (source === undefined || source.status === "finished") {
    request.forkOf = undefined;
    return undefined;
  }
  const isPromptComputed = source.status === "running" && source.numComputedTokens >= source.numPromptTokens;
  return isPromptComputed ? source : "waiting";
}

/** The first queued request, in queue order, that is not waiting for another's prompt. */
export function nextAdmissible(queue: Iterable<RequestState>, requests: ReadonlyMap<string, RequestState>): RequestState | undefined {
  for (const queued of queue) if (forkSourceOf(queued, requests) !== "waiting") return queued;
  return undefined;
}
