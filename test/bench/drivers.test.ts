/**
 * How load is offered: the closed loop keeps exactly C requests in flight, the open loop sends at
 * the seeded arrival times (never early), and a conversation's next turn waits for the previous.
 * Checked on what the fake server saw.
 */
import {afterEach, describe, expect, it} from "vitest";
import {poissonArrivalTimes} from "../../bench/arrivals.ts";
import {runLoad} from "../../bench/runLoad.ts";
import {roundSeeds} from "../../bench/seeds.ts";
import {WorkQueue} from "../../bench/WorkQueue.ts";
import type {RequestSpec} from "../../bench/types.ts";
import {TOKEN_TEXT} from "./fakeScript.ts";
import {startFakeServer, type FakeServer, type ReceivedRequest} from "./fakeServer.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The most requests the server was ever serving at once. */
function peakInFlight(requests: readonly ReceivedRequest[]): number {
  const events = requests.flatMap((request) => [
    {at: request.receivedAtMs, delta: 1},
    {at: request.contentSentAtMs[request.contentSentAtMs.length - 1] ?? request.receivedAtMs, delta: -1}
  ]);
  events.sort((x, y) => x.at - y.at || x.delta - y.delta);
  let current = 0;
  let peak = 0;
  for (const event of events) {
    current += event.delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

describe("closed loop", () => {
  it("keeps exactly `concurrency` requests in flight", async () => {
    server = await startFakeServer({script: {ttftMs: 10, itlMs: 5, tokens: 4}});
    const report = await runLoad({target: {url: server.url, model: "f"}, workload: {kind: "concurrency", levels: [3]}, numRequests: 12, warmupRequests: 0});
    expect(report.levels[0]?.servers[0]?.completed).toBe(12);
    expect(peakInFlight(server.requests)).toBe(3);
  });
});

describe("open loop", () => {
  it("sends each request at its Poisson arrival time, never early", async () => {
    server = await startFakeServer({script: {ttftMs: 5, itlMs: 2, tokens: 3}});
    const config = {
      target: {url: server.url, model: "f"},
      workload: {kind: "rate", levels: [40]},
      numRequests: 20,
      warmupRequests: 0,
      seed: 9,
      isPerRequestKept: true
    } as const;
    const report = await runLoad(config);
    const arrivals = poissonArrivalTimes({ratePerSecond: 40, maxCount: 20, seed: roundSeeds(9, 0, 0).arrivals});
    const starts = (report.rounds[0]?.requests ?? []).map((result) => result.startMs).sort((a, b) => a - b);
    expect(starts).toHaveLength(20);
    starts.forEach((start, i) => expect(start).toBeGreaterThanOrEqual(arrivals[i] ?? 0));
  });

  it("ends the round at --duration", async () => {
    server = await startFakeServer({script: {ttftMs: 1, itlMs: 1, tokens: 2}});
    const report = await runLoad({
      target: {url: server.url, model: "f"},
      workload: {kind: "rate", levels: [100]},
      durationMs: 300,
      warmupRequests: 0,
      isPerRequestKept: true
    });
    const results = report.rounds[0]?.requests ?? [];
    expect(report.config.numRequests).toBe(10_000);
    // Exactly the arrivals planned before the duration are sent (the send itself may lag the plan
    // on a loaded machine, so planned times, not measured ones, are what the limit is about).
    const planned = poissonArrivalTimes({ratePerSecond: 100, maxCount: 10_000, seed: roundSeeds(0, 0, 0).arrivals, durationMs: 300});
    expect(planned.every((arrivalMs) => arrivalMs < 300)).toBe(true);
    expect(planned.length).toBeGreaterThan(10);
    expect(results).toHaveLength(planned.length);
  });
});

describe("seeding", () => {
  it("makes two runs with the same seed send the same requests, and another seed different ones", async () => {
    server = await startFakeServer({script: {ttftMs: 1, itlMs: 1, tokens: 2}});
    const run = (seed: number) =>
      runLoad({target: {url: server?.url ?? "", model: "f"}, workload: {kind: "concurrency", levels: [1, 2]}, numRequests: 3, seed, dataset: {lenSpread: 0.5}});
    const bodies = async (seed: number): Promise<unknown[]> => {
      const first = server?.requests.length ?? 0;
      await run(seed);
      return (server?.requests ?? []).slice(first).map((request) => [request.requestId, request.body]);
    };
    const once = await bodies(5);
    expect(once).toHaveLength(7);
    expect(await bodies(5)).toEqual(once);
    expect(await bodies(6)).not.toEqual(once);
  });
});

describe("response format", () => {
  it("sends --response-format with every request, and then no ignore_eos", async () => {
    server = await startFakeServer({script: {ttftMs: 1, itlMs: 1, tokens: 2}});
    const responseFormat = {type: "json_schema", json_schema: {name: "x", schema: {type: "object"}}};
    await runLoad({target: {url: server.url, model: "f"}, workload: {kind: "concurrency", levels: [2]}, numRequests: 4, warmupRequests: 0, responseFormat});
    const bodies = server.requests.filter((request) => request.body["messages"] !== undefined).map((request) => request.body);
    expect(bodies).toHaveLength(4);
    for (const body of bodies) {
      expect(body["response_format"]).toEqual(responseFormat);
      expect(body).not.toHaveProperty("ignore_eos");
    }
  });
});

describe("extra body fields", () => {
  it("adds --extra-body to every request, under the bench's own fields", async () => {
    server = await startFakeServer({script: {ttftMs: 1, itlMs: 1, tokens: 2}});
    await runLoad({target: {url: server.url, model: "f"}, workload: {kind: "concurrency", levels: [1]}, numRequests: 2, warmupRequests: 0,
      extraBody: {logprobs: true, top_logprobs: 5, max_tokens: 999}});
    for (const request of server.requests.filter((received) => received.body["messages"] !== undefined)) {
      expect(request.body).toMatchObject({logprobs: true, top_logprobs: 5});
      expect(request.body["max_tokens"]).not.toBe(999);
    }
  });
});

describe("multi-turn conversations", () => {
  it("send turn k+1 only after turn k has completed", async () => {
    server = await startFakeServer({script: {ttftMs: 5, itlMs: 2, tokens: 3}});
    await runLoad({
      target: {url: server.url, model: "f"},
      workload: {kind: "concurrency", levels: [4]},
      numRequests: 12,
      warmupRequests: 0,
      dataset: {kind: "chat", turns: 3, systemLen: 20, inputLen: 5, outputLen: 3}
    });
    const byId = new Map(server.requests.map((request) => [request.requestId, request]));
    expect(byId.size).toBe(12);
    for (const [id, request] of byId) {
      const match = /^L0R0-c(\d+)t(\d+)$/.exec(id);
      expect(match).not.toBeNull();
      const turn = Number(match?.[2]);
      if (turn === 0) continue;
      const previous = byId.get(`L0R0-c${match?.[1]}t${turn - 1}`);
      const previousEnd = previous?.contentSentAtMs[previous.contentSentAtMs.length - 1] ?? Infinity;
      expect(request.receivedAtMs).toBeGreaterThan(previousEnd);
      // The history grows: system, then user/assistant pairs, then the new user turn.
      expect((request.body["messages"] as unknown[]).length).toBe(2 + 2 * turn);
    }
  });
});

describe("replayed replies", () => {
  for (const transport of ["sse", "nonstream"] as const) {
    it(`put the server's own reply (${transport}) into the next turns' history, and synthetic text without the option`, async () => {
      server = await startFakeServer({script: {ttftMs: 2, itlMs: 1, tokens: 3}});
      const run = async (isReplyReplayed: boolean) => {
        const first = server?.requests.length ?? 0;
        await runLoad({
          target: {url: server?.url ?? "", model: "f"},
          workload: {kind: "concurrency", levels: [2]},
          numRequests: 6,
          warmupRequests: 0,
          transport,
          dataset: {kind: "chat", turns: 3, systemLen: 20, inputLen: 5, outputLen: 3, isReplyReplayed}
        });
        return (server?.requests ?? []).slice(first);
      };
      const reply = TOKEN_TEXT.repeat(3);
      const assistantTexts = (requests: readonly ReceivedRequest[]) => requests.flatMap((request) =>
        (request.body["messages"] as {role: string; content: string}[]).filter((message) => message.role === "assistant").map((message) => message.content));
      const replayed = assistantTexts(await run(true));
      // Turns 1 and 2 of two conversations: 1 + 2 assistant messages each.
      expect(replayed).toHaveLength(6);
      expect(replayed.every((text) => text === reply)).toBe(true);
      const synthetic = assistantTexts(await run(false));
      expect(synthetic).toHaveLength(6);
      expect(synthetic.some((text) => text === reply)).toBe(false);
    });
  }
});

describe("WorkQueue", () => {
  const spec = (id: string, dependsOn?: string): RequestSpec => ({
    id,
    messages: [],
    maxTokens: 1,
    estimatedPromptTokens: 0,
    seed: 0,
    ...(dependsOn === undefined ? {} : {dependsOn})
  });

  it("replaces replayed assistant messages with the recorded reply, and keeps the synthetic text after a failure", async () => {
    const turn = (id: string, dependsOn: string, turnId: string): RequestSpec => ({
      ...spec(id, dependsOn),
      messages: [{role: "user", content: "u0"}, {role: "assistant", content: "synthetic"}, {role: "user", content: "u1"}],
      replies: [{messageIndex: 1, turnId}]
    });
    const queue = new WorkQueue([spec("a0"), spec("b0"), turn("a1", "a0", "a0"), turn("b1", "b0", "b0")]);
    await queue.take();
    await queue.take();
    queue.complete("a0", "the real reply");
    expect((await queue.take())?.messages[1]?.content).toBe("the real reply");
    queue.complete("b0");
    expect((await queue.take())?.messages[1]?.content).toBe("synthetic");
  });

  it("holds a request back until its dependency completes, then hands it out first", async () => {
    const queue = new WorkQueue([spec("a0"), spec("a1", "a0"), spec("b0")]);
    expect((await queue.take())?.id).toBe("a0");
    expect((await queue.take())?.id).toBe("b0");
    const pending = queue.take();
    let isResolved = false;
    void pending.then(() => (isResolved = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(isResolved).toBe(false);
    queue.complete("a0");
    expect((await pending)?.id).toBe("a1");
    queue.complete("b0");
    queue.complete("a1");
    expect(await queue.take()).toBeNull();
  });

  it("does not deadlock on a dependency outside the round, and close() releases waiters", async () => {
    const queue = new WorkQueue([spec("x1", "x0"), spec("y1", "y0")]);
    expect((await queue.take())?.id).toBe("x1");
    const waiting = queue.take();
    queue.close();
    expect(await waiting).toBeNull();
  });
});
