/**
 * The contract every transport meets: send one request, return what was measured, never throw for
 * a failed request (failures are results). How bytes move is each transport's own business; what a
 * figure means is `RequestRecorder`'s.
 */
import type {TokenCounter} from "../tokenCounter.ts";
import type {BenchConfig, RequestResult, RequestSpec, ServedTarget} from "../types.ts";

/** Sends requests to one server over one protocol. */
export interface Transport {
  /**
   * Sends `spec` and resolves when it completed or failed.
   * @param roundStartMs `performance.now()` at the start of the round, for `RequestResult.startMs`.
   * @param signal aborts the request; it is then reported as `aborted`.
   */
  send(spec: RequestSpec, roundStartMs: number, signal?: AbortSignal): Promise<RequestResult>;
  /** Releases sockets; requests still in flight fail as `connection` or `aborted`. */
  close(): Promise<void>;
}

/** What a transport needs to know beyond the request itself. */
export interface TransportContext {
  readonly target: ServedTarget;
  readonly config: Pick<BenchConfig, "endpoint" | "extraBody" | "isIgnoreEos" | "responseFormat" | "temperature" | "timeoutMs" | "sessionKey">;
  readonly counter: TokenCounter;
}

/** Bodies larger than this are cut off and counted as `malformed`: requests must stay bounded. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
