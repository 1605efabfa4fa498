/**
 * In-flight batching on the real model: a short request that arrives while a long one is generating
 * joins the running batch at once and finishes first; the engine's step records (with the count of
 * llama_decode calls) show both sequences decoded in the same batches.
 */
import {expect, it} from "vitest";
import {perSuite} from "../utils/perSuite.ts";
import {startSyntheticServer, type SyntheticServer} from "../utils/syntheticServer.ts";
import {readSse} from "../utils/sse.ts";

const server = perSuite(() => startSyntheticServer({parallel: 2, ctxSize: 1024}));

function streamChat(maxTokens: number): Promise<Response> {
  return fetch(`${server().url}/v1/chat/completions`, {
    method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({messages: [{role: "user", content: "Write a long essay."}], max_tokens: maxTokens, stream: true, ignore_eos: true, seed: 1})
  });
}

it("lets a late short request join the running batch and finish before the long one", async () => {
  const finishedOrder: string[] = [];
  const longEvents = readSse(await streamChat(300));
  const first = await longEvents.next();
  const longId = (first.value as {id: string}).id;
  const longDone = (async () => {
    for await (const _ of longEvents) { /* drain */ }
    finishedOrder.push("long");
  })();

  const shortChunks: {id: string}[] = [];
  for await (const chunk of readSse(await streamChat(8))) shortChunks.push(chunk as {id: string});
  finishedOrder.push("short");
  const shortId = shortChunks[0]!.id;
  await longDone;

  expect(finishedOrder).toEqual(["short", "long"]);
  const hasRequest = (id: string) => (step: SyntheticServer["steps"][number]) => step.entries.some((entry) => entry.requestId === id);
  const shared = server().steps.filter((step) => hasRequest(longId)(step) && hasRequest(shortId)(step));
  // The short request's prefill and its 8 decodes all ran beside the long request's decodes.
  expect(shared.length).toBeGreaterThanOrEqual(8);
  expect(shared.every((step) => step.numDecodeCalls === 1)).toBe(true);
  // And it started at the first step after it arrived: no step of the long one ran alone between.
  const firstShort = server().steps.findIndex(hasRequest(shortId));
  const lastShort = server().steps.findLastIndex(hasRequest(shortId));
  expect(server().steps.slice(firstShort, lastShort + 1).every(hasRequest(longId))).toBe(true);
});
