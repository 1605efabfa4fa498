/**
 * Misbehaving servers: 500s, dropped connections, malformed events, error events, streams that
 * never finish, stalls past the timeout and a server that is not there. Each must end up counted
 * under its failure type, never as a crash, and the requests after it must still succeed.
 */
import {createServer} from "node:http";
import type {AddressInfo} from "node:net";
import {afterEach, describe, expect, it} from "vitest";
import {runLoad} from "../../bench/runLoad.ts";
import type {BenchReport, ServerFigures, TransportKind} from "../../bench/types.ts";
import type {Fault} from "./fakeScript.ts";
import {startFakeServer, type FakeServer} from "./fakeServer.ts";

const SCRIPT = {ttftMs: 5, itlMs: 2, tokens: 5};

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs `numRequests` requests one at a time; request i of the round is the server's request i + 1. */
async function runWithFaults(transport: TransportKind, faults: readonly Fault[], numRequests: number, timeoutMs = 5_000): Promise<BenchReport> {
  server = await startFakeServer({script: SCRIPT, faults: Object.fromEntries(faults.map((fault, i) => [i + 1, fault]))});
  return runLoad({
    target: {url: server.url, model: "fake"},
    transport,
    workload: {kind: "concurrency", levels: [1]},
    numRequests,
    dataset: {inputLen: 8, outputLen: SCRIPT.tokens},
    timeoutMs,
    isPerRequestKept: true
  });
}

function figuresOf(report: BenchReport): ServerFigures {
  const figures = report.levels[0]?.servers[0];
  if (figures === undefined) throw new Error("no figures");
  return figures;
}

describe("failures are counted by type", () => {
  it("over SSE", async () => {
    const faults: Fault[] = ["http500", "dropBeforeHeaders", "dropMidStream", "malformed", "streamError", "noDone"];
    const report = await runWithFaults("sse", faults, 10);
    const figures = figuresOf(report);
    expect(figures.failuresByType).toEqual({http_500: 1, connection: 2, malformed: 1, server_error: 1, incomplete: 1});
    expect(figures.completed).toBe(4);
    expect(figures.sent).toBe(10);
    // The requests after the faults were served normally, on fresh connections where needed.
    const results = report.rounds[0]?.requests ?? [];
    expect(results.slice(6).every((result) => result.isSuccess)).toBe(true);
    expect(results[0]?.failure?.message).toBe("scripted failure");
    // Latency figures cover successful requests only.
    expect(figures.e2eMs?.count).toBe(4);
    expect(figures.totalOutputTokens).toBe(4 * SCRIPT.tokens);
  });

  it("over the websocket", async () => {
    const faults: Fault[] = ["http500", "dropBeforeHeaders", "dropMidStream", "malformed", "streamError", "noDone"];
    const report = await runWithFaults("ws", faults, 9, 500);
    const figures = figuresOf(report);
    // Errors arrive as `type: "error"` messages; a stream with no `done` runs into the timeout.
    expect(figures.failuresByType).toEqual({server_error: 2, connection: 2, malformed: 1, timeout: 1});
    expect(figures.completed).toBe(3);
  });

  it("without streaming", async () => {
    const report = await runWithFaults("nonstream", ["http500", "dropBeforeHeaders", "dropMidStream", "malformed"], 6);
    expect(figuresOf(report).failuresByType).toEqual({http_500: 1, connection: 2, malformed: 1});
    expect(figuresOf(report).completed).toBe(2);
  });

  it("a stall past --timeout is a timeout, and the run goes on", async () => {
    const report = await runWithFaults("sse", ["stall"], 3, 300);
    const results = report.rounds[0]?.requests ?? [];
    expect(results[0]?.failure?.type).toBe("timeout");
    expect(results[0]?.e2eMs).toBeGreaterThanOrEqual(290);
    expect(results.slice(1).every((result) => result.isSuccess)).toBe(true);
  });

  it("a server that is not there fails every request as connection, with notes", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const {port} = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    for (const transport of ["sse", "ws", "nonstream"] as const) {
      const report = await runLoad({
        target: {url: `http://127.0.0.1:${port}`, model: "fake"},
        transport,
        workload: {kind: "concurrency", levels: [2]},
        numRequests: 4,
        timeoutMs: 2_000
      });
      const figures = figuresOf(report);
      expect(figures.failuresByType).toEqual({connection: 4});
      expect(figures.ttftMs).toBeNull();
      expect(figures.requestThroughput).toBe(0);
      expect(figures.serverMetrics).toBeNull();
      expect(report.notes.join("\n")).toMatch(/warm-up of A failed: connection/);
    }
  });

  it("an aborted run returns the partial report", async () => {
    server = await startFakeServer({script: {ttftMs: 20, itlMs: 20, tokens: 50}});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const report = await runLoad(
      {target: {url: server.url, model: "fake"}, workload: {kind: "concurrency", levels: [2, 4]}, numRequests: 8, warmupRequests: 0},
      {signal: controller.signal}
    );
    expect(report.levels).toHaveLength(1);
    expect(figuresOf(report).failuresByType.aborted).toBe(2);
    expect(report.notes.join("\n")).toMatch(/aborted/);
  });
});
