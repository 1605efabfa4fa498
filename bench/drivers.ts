/**
 * The two ways of offering load in one round. Closed loop: C workers, each sending its next request
 * as soon as its previous one is over, so C requests are always in flight. Open loop: requests
 * leave at precomputed arrival times whatever the server's state, so queues build up when it falls
 * behind. Both return every result, failures included; neither aggregates nor talks to servers
 * except through the transport.
 */
import {setImmediate as yieldToIo, setTimeout as sleep} from "node:timers/promises";
import type {Transport} from "./transport/types.ts";
import type {RequestResult, RequestSpec} from "./types.ts";
import {WorkQueue} from "./WorkQueue.ts";

/** What one round produced. */
export interface RoundRun {
  readonly results: readonly RequestResult[];
  /** First send to last completion (or to the end of sending when nothing was sent). */
  readonly durationMs: number;
  readonly startedAt: Date;
}

/** Shared options of both drivers. */
export interface DriverOptions {
  /** No request is sent after this much time into the round. */
  readonly durationMs?: number;
  /** Stops sending and aborts requests in flight. */
  readonly signal?: AbortSignal;
  /** Called as each request ends, for progress display. */
  readonly onResult?: (result: RequestResult) => void;
}

/** Sends `specs` keeping `concurrency` requests in flight. */
export async function runClosedLoop(
  specs: readonly RequestSpec[],
  transport: Transport,
  concurrency: number,
  options: DriverOptions = {}
): Promise<RoundRun> {
  const queue = new WorkQueue(specs);
  const results: RequestResult[] = [];
  const startedAt = new Date();
  const roundStartMs = performance.now();
  const stop = (): void => queue.close();
  const timer = options.durationMs === undefined ? undefined : setTimeout(stop, options.durationMs);
  options.signal?.addEventListener("abort", stop, {once: true});
  const worker = async (): Promise<void> => {
    for (let spec = await queue.take(); spec !== null; spec = await queue.take()) {
      const result = withoutReply(await transport.send(spec, roundStartMs, options.signal), queue);
      results.push(result);
      options.onResult?.(result);
      // Building and sending the next request costs CPU time. Doing it after the event loop has
      // read (and timestamped) whatever other responses already arrived keeps that cost out of
      // their latencies.
      await yieldToIo();
    }
  };
  try {
    await Promise.all(Array.from({length: concurrency}, worker));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", stop);
  }
  return {results, durationMs: performance.now() - roundStartMs, startedAt};
}

/**
 * Sends a request at each of `arrivalsMs` after the start: the first of `specs` that is ready, so a
 * conversation's next turn that arrives before its previous turn is over leaves when that ends.
 */
export async function runOpenLoop(
  specs: readonly RequestSpec[],
  transport: Transport,
  arrivalsMs: readonly number[],
  options: DriverOptions = {}
): Promise<RoundRun> {
  const queue = new WorkQueue(specs.slice(0, arrivalsMs.length));
  const results: RequestResult[] = [];
  const inFlight: Promise<void>[] = [];
  const startedAt = new Date();
  const roundStartMs = performance.now();
  const launch = async (spec: RequestSpec): Promise<void> => {
    const result = withoutReply(await transport.send(spec, roundStartMs, options.signal), queue);
    results.push(result);
    options.onResult?.(result);
  };
  for (const arrivalMs of arrivalsMs) {
    if (options.signal?.aborted === true) break;
    if (options.durationMs !== undefined && arrivalMs >= options.durationMs) break;
    await sleepUntil(roundStartMs + arrivalMs, options.signal);
    // Not awaited: a turn held back for its predecessor must not delay the arrivals after it.
    inFlight.push(queue.take().then((spec) => (spec === null ? undefined : launch(spec))));
  }
  await Promise.all(inFlight);
  return {results, durationMs: performance.now() - roundStartMs, startedAt};
}

/** Completes the request in the queue, handing over its reply text, and returns the result without it. */
function withoutReply(result: RequestResult, queue: WorkQueue): RequestResult {
  const {replyText, ...measured} = result;
  queue.complete(result.id, replyText);
  return measured;
}

/**
 * Resolves at `atMs` (performance.now() time), never before, or at once on abort. Node's timers
 * count from the loop's cached clock and can fire a millisecond or two early, so the wait repeats
 * until the time has really come, polling for the last millisecond.
 */
async function sleepUntil(atMs: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    const delayMs = atMs - performance.now();
    if (delayMs <= 0 || signal?.aborted === true) return;
    if (delayMs < 1) await yieldToIo();
    else await sleep(delayMs, undefined, signal === undefined ? {} : {signal}).catch(() => undefined);
  }
}
