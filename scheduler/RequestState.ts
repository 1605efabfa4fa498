/**
 * The scheduler's mutable record of one live request, and the questions the scheduler asks of it
 * (is it in decode, how much is left to feed, has it reached a length limit). Internal to
 * scheduler/: the engine sees requests only through the records of types.ts.
 */
import type {RequestStatus} from "./types.ts";

/** @internal The scheduler's mutable record of one live request. */
export interface RequestState {
  readonly id: string;
  readonly numPromptTokens: number;
  /** promptTokens ++ outputTokens, in one array so slices for a step need no concatenation. */
  readonly allTokens: number[];
  readonly maxTokens: number;
  readonly priority: number;
  readonly arrivalMs: number;
  readonly deadlineMs: number | undefined;
  readonly arrivalOrder: number;
  status: RequestStatus;
  isResuming: boolean;
  /** Order of the latest placement; orders prefill chunks and picks preemption victims. */
  admissionOrder: number;
  numComputedTokens: number;
  sequenceIndex: number | null;
  isNewlyPlaced: boolean;
  /** The host-tier state to restore before the first chunk after placement; cleared once sent. */
  restoreFrom: {readonly key: string} | undefined;
  /** The sequence to copy the prompt from before the first chunk after placement; cleared once sent. */
  copyFrom: {readonly sequenceIndex: number} | undefined;
  /** The choice whose prompt this one waits to copy; undefined once placed or once that one is gone. */
  forkOf: string | undefined;
  readonly isSpeculationAllowed: boolean;
  readonly isPrefixReuseAllowed: boolean;
}

export function isInDecode(request: RequestState): boolean {
  return request.numComputedTokens === request.allTokens.length - 1;
}

export function numRemaining(request: RequestState): number {
  return request.allTokens.length - request.numComputedTokens;
}

export function lengthReason(request: RequestState, sequenceCapacity: number): "length" | undefined {
  const isAtMaxTokens = request.allTokens.length - request.numPromptTokens >= request.maxTokens;
  return isAtMaxTokens || request.allTokens.length >= sequenceCapacity ? "length" : undefined;
}
