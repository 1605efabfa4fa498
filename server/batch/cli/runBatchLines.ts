/**
 * Runs validated batch lines without the HTTP server or a store, as vLLM's `run-batch` does: the same
 * plan -> start -> answer path and output lines as the server's runner, a window of requests in
 * flight (twice the engines' sequences, so a finished request is replaced at once), and each line
 * handed to `onLine` in input order. Used by the offline CLI.
 */
import type {FastifyBaseLogger} from "fastify";
import {ApiError, toApiError} from "../../errors.ts";
import type {ModelRegistry} from "../../ModelRegistry.ts";
import {answerOf, planBatchRequest, startBatchRequest} from "../executeBatchRequest.ts";
import {answeredLine} from "../outputLine.ts";
import {newRequestId} from "../store/ids.ts";
import type {BatchEndpoint, BatchRequestLine} from "../types.ts";

export interface LineResult {
  readonly resultLine: string;
  readonly isSuccess: boolean;
}

/** The trace of a request that nobody reads: the CLI prints progress, not request lines. */
const SILENT_LOG = {
  level: "silent", info() {}, error() {}, warn() {}, debug() {}, fatal() {}, trace() {}, silent() {},
  child() { return SILENT_LOG; }
} as unknown as FastifyBaseLogger;

async function runOne(registry: ModelRegistry, endpoint: BatchEndpoint, line: BatchRequestLine): Promise<LineResult> {
  try {
    const plan = planBatchRequest(registry, endpoint, line.body);
    const answer = await answerOf(line.customId, startBatchRequest(plan, SILENT_LOG));
    if (answer.kind === "answered") return {resultLine: answer.resultLine, isSuccess: answer.statusCode === 200};
    const error = new ApiError(503, "the generation was stopped", "server_error", null, "aborted");
    return {resultLine: answeredLine(line.customId, newRequestId(), 503, error.toBody()), isSuccess: false};
  } catch (error) {
    const apiError = toApiError(error);
    return {resultLine: answeredLine(line.customId, newRequestId(), apiError.statusCode, apiError.toBody()), isSuccess: false};
  }
}

export async function runBatchLines(registry: ModelRegistry, endpoint: BatchEndpoint, lines: readonly BatchRequestLine[],
  onLine: (result: LineResult) => void): Promise<void> {
  const numSequences = registry.list().reduce((sum, model) => sum + model.engine.scheduler.getSequences().length, 0);
  const windowSize = Math.max(1, 2 * numSequences);
  const results = new Map<number, LineResult>();
  let nextToEmit = 0;
  let nextToStart = 0;
  await new Promise<void>((resolve) => {
    const startMore = (): void => {
      while (nextToStart < lines.length && nextToStart - nextToEmit < windowSize) {
        const index = nextToStart++;
        void runOne(registry, endpoint, lines[index]!).then((result) => {
          results.set(index, result);
          for (let ready = results.get(nextToEmit); ready !== undefined; ready = results.get(nextToEmit)) {
            results.delete(nextToEmit++);
            onLine(ready);
          }
          if (nextToEmit === lines.length) resolve();
          else startMore();
        });
      }
    };
    if (lines.length === 0) resolve();
    else startMore();
  });
}
