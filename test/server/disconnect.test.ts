/**
 * A client that disconnects mid-stream frees its sequence at once: with --parallel 2, two streams
 * abandoned mid-generation leave room for the next two requests, which then run alone.
 */
import {afterAll, beforeAll, expect, it} from "vitest";
import {startSyntheticServer, type SyntheticServer} from "../utils/syntheticServer.ts";
import {readSse} from "../utils/sse.ts";

let server: SyntheticServer;
const PARALLEL = 2;

beforeAll(async () => {
  server = await startSyntheticServer({parallel: PARALLEL, ctxSize: 4096});
});

afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

async function chat(maxTokens: number, signal?: AbortSignal, stream = true): Promise<Response> {
  return fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    signal,
    headers: {"content-type": "application/json"},
    body: JSON.stringify({messages: [{role: "user", content: "Go on forever."}], max_tokens: maxTokens, stream, ignore_eos: true})
  });
}

it("frees the sequences of clients that left mid-stream", async () => {
  const abandoned: string[] = [];
  for (let i = 0; i < PARALLEL; i++) {
    const controller = new AbortController();
    const events = readSse(await chat(4000, controller.signal));
    for (let chunks = 0; chunks < 3; chunks++) {
      const {value} = await events.next();
      if (chunks === 0) abandoned.push((value as {id: string}).id);
    }
    controller.abort();
    await events.return(undefined).catch(() => {});
  }
  const replies = await Promise.all(Array.from({length: PARALLEL}, () => chat(4, undefined, false)));
  const bodies = (await Promise.all(replies.map((reply) => reply.json()))) as {id: string; usage: {completion_tokens: number}}[];
  expect(replies.map((reply) => reply.status)).toEqual(new Array(PARALLEL).fill(200));
  expect(bodies.map((body) => body.usage.completion_tokens)).toEqual(new Array(PARALLEL).fill(4));
  const newIds = new Set(bodies.map((body) => body.id));
  const firstNewStep = server.steps.findIndex((step) => step.entries.some((entry) => newIds.has(entry.requestId)));
  const laterSteps = server.steps.slice(firstNewStep);
  expect(laterSteps.length).toBeGreaterThan(0);
  expect(laterSteps.some((step) => step.entries.some((entry) => abandoned.includes(entry.requestId)))).toBe(false);
  expect(server.model.engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: PARALLEL});
});
