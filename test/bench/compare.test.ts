/**
 * `--compare-url`: rounds alternate A, B, A, B at every level, both servers receive identical
 * requests, and each ratio is B / A of the figures the report shows.
 */
import {afterEach, describe, expect, it} from "vitest";
import {computeRatios, computeServerFigures, ratio} from "../../bench/figures.ts";
import {runLoad} from "../../bench/runLoad.ts";
import type {RequestResult} from "../../bench/types.ts";
import {startFakeServer, type FakeServer} from "./fakeServer.ts";

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe("compare mode", () => {
  it("alternates A, B, A, B, sends both the same requests and reports B / A", async () => {
    const a = await startFakeServer({script: {ttftMs: 10, itlMs: 10, tokens: 6}});
    const b = await startFakeServer({script: {ttftMs: 50, itlMs: 2, tokens: 6}});
    servers.push(a, b);
    const report = await runLoad({
      target: {url: a.url, model: "fake"},
      compare: {url: b.url, model: "fake-b"},
      workload: {kind: "concurrency", levels: [1, 2]},
      numRequests: 4,
      dataset: {inputLen: 8, outputLen: 6}
    });

    expect(report.config.rounds).toBe(2);
    expect(report.rounds.map((round) => `${round.level}${round.label}${round.round}`)).toEqual([
      "1A0", "1B0", "1A1", "1B1", "2A0", "2B0", "2A1", "2B1"
    ]);
    // What the servers saw, in arrival order: warm-ups (A then B), then strictly alternating rounds.
    const arrivals = [...a.requests.map((request) => ({server: "A", request})), ...b.requests.map((request) => ({server: "B", request}))].sort(
      (x, y) => x.request.receivedAtMs - y.request.receivedAtMs
    );
    const runs = arrivals.reduce<{server: string; count: number}[]>((acc, {server}) => {
      const last = acc[acc.length - 1];
      if (last?.server === server) last.count++;
      else acc.push({server, count: 1});
      return acc;
    }, []);
    expect(runs).toEqual([{server: "A", count: 1}, {server: "B", count: 1}, ...Array.from({length: 4}, () => [{server: "A", count: 4}, {server: "B", count: 4}]).flat()]);
    // Identical requests, except for the model name.
    const strip = (body: Record<string, unknown>): Record<string, unknown> => ({...body, model: undefined});
    expect(b.requests.map((request) => strip(request.body))).toEqual(a.requests.map((request) => strip(request.body)));
    expect(b.requests.every((request) => request.body["model"] === "fake-b")).toBe(true);
    // Different rounds and levels send different requests (no replay for a prefix cache to flatter).
    const prompts = new Set(a.requests.slice(1).map((request) => JSON.stringify(request.body["messages"])));
    expect(prompts.size).toBe(16);

    for (const level of report.levels) {
      const [figuresA, figuresB] = level.servers;
      if (figuresA === undefined || figuresB === undefined || level.ratios === undefined) throw new Error("missing figures");
      expect(figuresA.label).toBe("A");
      expect(figuresB.label).toBe("B");
      expect(figuresA.rounds).toBe(2);
      expect(figuresA.completed).toBe(8);
      expect(level.ratios.ttftMs.median).toBe((figuresB.ttftMs?.median ?? 0) / (figuresA.ttftMs?.median ?? 1));
      expect(level.ratios.tpotMs.p99).toBe((figuresB.tpotMs?.p99 ?? 0) / (figuresA.tpotMs?.p99 ?? 1));
      expect(level.ratios.outputTokenThroughput).toBe(figuresB.outputTokenThroughput / figuresA.outputTokenThroughput);
      // The scripts make B 5x slower to the first token and 5x faster per token; the ratios point
      // the same way (loosely: exact timing is the timing tests' business).
      expect(level.ratios.ttftMs.median).toBeGreaterThan(2);
      expect(level.ratios.tpotMs.median).toBeLessThan(0.6);
    }
  });
});

describe("ratios", () => {
  const result = (overrides: Partial<RequestResult>): RequestResult => ({
    id: "r",
    isSuccess: true,
    startMs: 0,
    ttftMs: 10,
    e2eMs: 100,
    itlMs: [10, 10],
    tpotMs: 45,
    outputTokens: 3,
    outputTokensSource: "usage",
    promptTokens: 5,
    promptTokensSource: "usage",
    contentChunks: 3,
    ...overrides
  });

  it("are B / A of every figure, null where A is zero or missing", () => {
    const a = computeServerFigures({label: "A", url: "a", rounds: [{results: [result({}), result({ttftMs: 30})], durationMs: 1000}], serverMetrics: null});
    const b = computeServerFigures({
      label: "B",
      url: "b",
      rounds: [{results: [result({ttftMs: 40}), result({ttftMs: 80})], durationMs: 500}],
      serverMetrics: null
    });
    const ratios = computeRatios(a, b);
    expect(ratios.ttftMs).toEqual({mean: 3, median: 3, p90: (40 + 0.9 * 40) / (10 + 0.9 * 20), p99: (40 + 0.99 * 40) / (10 + 0.99 * 20)});
    expect(ratios.requestThroughput).toBe(2);
    expect(ratios.outputTokenThroughput).toBe(2);
    expect(ratios.e2eMs.mean).toBe(1);
    expect(ratios.goodputRequestsPerSecond).toBeNull();
    expect(ratio(0, 5)).toBeNull();
    expect(ratio(undefined, 5)).toBeNull();
    expect(ratio(4, 5)).toBe(1.25);
  });
});
