/**
 * A storm of disconnects on the real tiny synthetic model (--parallel 4): 300 streaming requests, 32
 * at a time, each abandoned by its client at a seeded random moment: while still sending its request,
 * 0 to 20 ms after sending (before its first token, mostly while queued), during the prefill of a long
 * prompt (told by the engine's step records), or after k streamed chunks. Afterwards /metrics shows nothing running or waiting, every sequence is free, and
 * the next 2 x parallel requests all succeed in full.
 */
import {connect, type Socket} from "node:net";
import {afterAll, beforeAll, expect, it} from "vitest";
import {createRng, type Rng} from "../../bench/random.ts";
import {startSyntheticServer, type SyntheticServer} from "../utils/syntheticServer.ts";
import {eventually} from "../utils/eventually.ts";
import {encodeRequest} from "../utils/rawHttp.ts";
import {scrape} from "./scrape.ts";

const PARALLEL = 4;
const NUM_REQUESTS = 300;
const CONCURRENCY = 32;
const CHAT = "/v1/chat/completions";

let server: SyntheticServer;

/** Server-side sockets, to close those the client pool left open (see afterAll). */
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = await startSyntheticServer({parallel: PARALLEL, ctxSize: 512, maxQueueLength: 64});
  server.app.server.on("connection", (socket: Socket) => sockets.add(socket));
  server.model.engine.on("step", (record) => {
    for (const entry of record.entries) {
      if (entry.isSampling) continue;
      prefillStarted.add(entry.requestId);
      prefillWaiters.get(entry.requestId)?.();
    }
  });
});

afterAll(async () => {
  // fetch aborted before its request was written leaves pooled connections that never carried a
  // request; Node's server does not count them as idle, so close() would wait for its headers timeout
  // (60 s) to reap them. They are the test client's, so the test drops them.
  for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
  await server?.[Symbol.asyncDispose]();
});

type Moment = "duringBody" | "beforeFirstToken" | "duringPrefill" | "midStream";
const MOMENTS: readonly Moment[] = ["duringBody", "beforeFirstToken", "duringPrefill", "midStream"];

interface Outcome {
  readonly moment: Moment;
  /** Content chunks read before leaving. */
  readonly numChunks: number;
  readonly status: number | null;
  /** The client left after the engine had computed part of the prompt and before any token. */
  readonly isLeftInPrefill: boolean;
}

/** A random pause of the storm's clients (part of the input, not a wait for the server). */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Requests whose prefill has started: a step computed part of their prompt without sampling. The
 * long prompts below (about 410 tokens) take two steps of the 256-token budget, so a client told after
 * the first leaves while the second runs or before it.
 */
const prefillStarted = new Set<string>();
const prefillWaiters = new Map<string, () => void>();

function whenPrefillStarted(requestId: string): Promise<void> {
  if (prefillStarted.has(requestId)) return Promise.resolve();
  return new Promise((resolve) => prefillWaiters.set(requestId, resolve));
}

function bodyOf(rng: Rng, moment: Moment): string {
  const content = moment === "duringPrefill" ? `story ${rng.int(0, 1e6)} ${"once upon a time ".repeat(100)}` : `tell me ${rng.int(0, 1e6)}`;
  return JSON.stringify({messages: [{role: "user", content}], max_tokens: 64, ignore_eos: true, stream: true});
}

/** Sends part of the request (headers, some of the body) over a raw socket, then drops the connection. */
async function abandonDuringBody(rng: Rng, body: string): Promise<Outcome> {
  const bytes = encodeRequest({path: CHAT, headers: {"content-type": "application/json"}, body}, "x");
  const socket = connect({host: "127.0.0.1", port: Number(new URL(server.url).port)});
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write(bytes.subarray(0, rng.int(1, bytes.length - 1)));
  await sleep(rng.int(0, 5));
  socket.destroy();
  return {moment: "duringBody", numChunks: 0, status: null, isLeftInPrefill: false};
}

interface Leave {
  /** Leave this long after sending. */
  readonly afterMs?: number;
  /** Leave once this many content chunks have arrived. */
  readonly afterChunks?: number;
  /** Leave once the engine has started the prompt (or at the first content chunk, if that comes first). */
  readonly inPrefill?: boolean;
}

/** Streams over fetch and aborts at the moment `leave` says. */
async function abandonStream(moment: Moment, body: string, leave: Leave): Promise<Outcome> {
  const controller = new AbortController();
  const timer = leave.afterMs === undefined ? undefined : setTimeout(() => controller.abort(), leave.afterMs);
  let status: number | null = null;
  let numChunks = 0;
  let isLeftInPrefill = false;
  let requestId: string | undefined;
  try {
    const response = await fetch(`${server.url}${CHAT}`, {method: "POST", headers: {"content-type": "application/json"}, body, signal: controller.signal});
    status = response.status;
    const decoder = new TextDecoder();
    for await (const bytes of response.body!) {
      const text = decoder.decode(bytes as Uint8Array, {stream: true});
      numChunks += (text.match(/"content":"[^"]/g) ?? []).length;
      if (leave.inPrefill && requestId === undefined) {
        // The first chunk (the role) names the request, before it is placed in a sequence.
        requestId = /"id":"([^"]+)"/.exec(text)?.[1];
        if (requestId !== undefined) {
          void whenPrefillStarted(requestId).then(() => {
            if (numChunks === 0) isLeftInPrefill = true;
            controller.abort();
          });
        }
      }
      if (numChunks >= (leave.afterChunks ?? (leave.inPrefill ? 1 : Infinity))) {
        controller.abort();
        break;
      }
    }
  } catch (error) {
    if ((error as Error).name !== "AbortError") throw error;
  } finally {
    clearTimeout(timer);
    if (requestId !== undefined) prefillWaiters.delete(requestId);
  }
  return {moment, numChunks, status, isLeftInPrefill};
}

function runOne(index: number): Promise<Outcome> {
  const rng = createRng(1_000 + index);
  const moment = MOMENTS[rng.int(0, MOMENTS.length - 1)]!;
  const body = bodyOf(rng, moment);
  if (moment === "duringBody") return abandonDuringBody(rng, body);
  if (moment === "beforeFirstToken") return abandonStream(moment, body, {afterMs: rng.int(0, 20)});
  if (moment === "duringPrefill") return abandonStream(moment, body, {inPrefill: true});
  return abandonStream(moment, body, {afterChunks: rng.int(1, 8)});
}

/** The engine ends a request left by its client at its next step boundary, after the client is gone. */
async function settled(): Promise<void> {
  await eventually("the engine is idle with every sequence free", () => {
    const stats = server.model.engine.stats;
    return stats.numRunning === 0 && stats.numWaiting === 0 && stats.numFreeSequences === PARALLEL;
  });
}

it(`frees everything after ${NUM_REQUESTS} streams abandoned at random moments, ${CONCURRENCY} at a time`, async () => {
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(Array.from({length: CONCURRENCY}, async () => {
    while (next < NUM_REQUESTS) outcomes.push(await runOne(next++));
  }));
  expect(outcomes).toHaveLength(NUM_REQUESTS);
  // The storm hit every moment, and no request was refused or failed on the way.
  for (const moment of MOMENTS) expect(outcomes.filter((outcome) => outcome.moment === moment).length, moment).toBeGreaterThan(40);
  expect(outcomes.filter((outcome) => outcome.status !== null && outcome.status !== 200)).toEqual([]);
  expect(outcomes.filter((outcome) => outcome.moment === "midStream" && outcome.numChunks > 0).length).toBeGreaterThan(40);

  // Inside the engine, requests were left while prefilling: placed, part of the prompt computed, never sampled.
  expect(outcomes.filter((outcome) => outcome.isLeftInPrefill).length).toBeGreaterThan(20);
  const numOutputTokens = new Map<string, number>();
  for (const step of server.steps) {
    for (const entry of step.entries) numOutputTokens.set(entry.requestId, (numOutputTokens.get(entry.requestId) ?? 0) + entry.numOutputTokens);
  }
  expect([...numOutputTokens.values()].filter((count) => count === 0).length).toBeGreaterThan(20);
  expect([...numOutputTokens.values()].every((count) => count < 64)).toBe(true);

  await settled();
  const metrics = await scrape(server.url);
  expect(metrics.value("inflight:num_requests_running")).toBe(0);
  expect(metrics.value("inflight:num_requests_waiting")).toBe(0);
  expect(server.model.engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: PARALLEL});

  const replies = await Promise.all(Array.from({length: 2 * PARALLEL}, (_, index) => fetch(`${server.url}${CHAT}`, {
    method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({messages: [{role: "user", content: `after the storm ${index}`}], max_tokens: 8, ignore_eos: true})
  })));
  expect(replies.map((reply) => reply.status)).toEqual(new Array(2 * PARALLEL).fill(200));
  const bodies = (await Promise.all(replies.map((reply) => reply.json()))) as {usage: {completion_tokens: number}}[];
  expect(bodies.map((body) => body.usage.completion_tokens)).toEqual(new Array(2 * PARALLEL).fill(8));
});
