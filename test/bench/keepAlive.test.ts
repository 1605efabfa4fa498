/**
 * A server that closes keep-alive connections (as llama.cpp's server does) against the HTTP
 * transports: a request written on a pooled socket the server was closing is re-sent once on a
 * fresh connection and counted apart; a failure after response bytes, or a second failure, is a
 * failure as before. Plus the listener bookkeeping of a run at high concurrency.
 */
import {afterEach, describe, expect, it} from "vitest";
import {formatJsonReport} from "../../bench/jsonReport.ts";
import {runLoad} from "../../bench/runLoad.ts";
import {renderTable} from "../../bench/table.ts";
import type {BenchReport, RequestResult, ServerFigures} from "../../bench/types.ts";
import type {Fault} from "./fakeScript.ts";
import {startFakeServer, type FakeServer} from "./fakeServer.ts";

const SCRIPT = {ttftMs: 3, itlMs: 1, tokens: 4};
/** Long beside the bench's reuse of a socket (at once), so that every reuse meets the close. */
const KEEP_ALIVE_CLOSE_MS = 200;

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function allFigures(report: BenchReport): ServerFigures[] {
  return report.levels.flatMap((level) => level.servers);
}

function results(report: BenchReport): RequestResult[] {
  return report.rounds.flatMap((round) => round.requests ?? []);
}

function timesReceived(id: string): number {
  return (server?.requests ?? []).filter((request) => request.requestId === id).length;
}

async function runAgainst(options: {transport: "sse" | "nonstream"; levels: number[]; numRequests: number}): Promise<BenchReport> {
  return runLoad({
    target: {url: server?.url ?? "", model: "fake"},
    transport: options.transport,
    workload: {kind: "concurrency", levels: options.levels},
    numRequests: options.numRequests,
    warmupRequests: 0,
    dataset: {inputLen: 8, outputLen: SCRIPT.tokens},
    // Metrics scrapes are requests too; without them every hang-up the fake counts is the bench's.
    isMetricsEnabled: false,
    isPerRequestKept: true
  });
}

describe.each(["sse", "nonstream"] as const)("a server closing keep-alive connections, over %s", (transport) => {
  it("re-sends each request that met a closing connection, once, and every request succeeds", async () => {
    server = await startFakeServer({script: SCRIPT, keepAliveCloseMs: KEEP_ALIVE_CLOSE_MS});
    const report = await runAgainst({transport, levels: [1, 4], numRequests: 12});
    const figures = allFigures(report);
    expect(figures.map((each) => [each.completed, each.failed])).toEqual([[12, 0], [12, 0]]);
    const numRetried = figures.reduce((sum, each) => sum + each.numRetriedOnFreshConnection, 0);
    expect(numRetried).toBe(server.numKeepAliveHangUps);
    expect(numRetried).toBeGreaterThan(0);
    expect(results(report).filter((result) => result.isRetriedOnFreshConnection === true)).toHaveLength(numRetried);
    // The dropped attempts never reached the handler: each request was answered once.
    expect(results(report).every((result) => timesReceived(result.id) === 1)).toBe(true);
    expect(renderTable(report)).toMatch(/Re-sent on a fresh connection[^\n]*\n\s+A at 1: \d+ of 12 requests/);
    expect(JSON.parse(formatJsonReport(report)).levels[0].servers[0].numRetriedOnFreshConnection).toBe(figures[0]?.numRetriedOnFreshConnection);
  });

  it("does not re-send a request that failed after response bytes arrived", async () => {
    server = await startFakeServer({script: SCRIPT, keepAliveCloseMs: KEEP_ALIVE_CLOSE_MS, faults: {3: "dropMidStream"}});
    const report = await runAgainst({transport, levels: [1], numRequests: 6});
    const failed = results(report).filter((result) => !result.isSuccess);
    expect(failed.map((result) => result.failure?.type)).toEqual(["connection"]);
    expect(timesReceived(failed[0]?.id ?? "")).toBe(1);
    expect(allFigures(report)[0]?.numRetriedOnFreshConnection).toBe(server.numKeepAliveHangUps);
  });
});

describe("a connection dropped before any byte of a response", () => {
  it("is re-sent only when it was a pooled one, and a second drop is a failure", async () => {
    // Request 0 opens the first connection; request 2 is the first written on a pooled one.
    const faults: Record<number, Fault> = {0: "dropBeforeHeaders", 2: "dropBeforeHeaders"};
    server = await startFakeServer({script: SCRIPT, faults});
    const report = await runAgainst({transport: "sse", levels: [1], numRequests: 4});
    const [first, second, third, fourth] = results(report);
    expect([first, second, third, fourth].map((result) => result?.isSuccess)).toEqual([false, true, false, true]);
    expect(first?.isRetriedOnFreshConnection).toBeUndefined();
    expect(timesReceived(first?.id ?? "")).toBe(1);
    expect(third?.isRetriedOnFreshConnection).toBe(true);
    expect(third?.failure?.type).toBe("connection");
    expect(timesReceived(third?.id ?? "")).toBe(2);
    expect(allFigures(report)[0]?.numRetriedOnFreshConnection).toBe(1);
  });
});

describe("listeners at high concurrency", () => {
  it("stay within Node's limits: no MaxListenersExceededWarning with a run signal", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on("warning", onWarning);
    try {
      server = await startFakeServer({script: SCRIPT, keepAliveCloseMs: KEEP_ALIVE_CLOSE_MS});
      for (const transport of ["sse", "nonstream", "ws"] as const) {
        const controller = new AbortController();
        const report = await runLoad(
          {
            target: {url: server.url, model: "fake"},
            transport,
            workload: {kind: "concurrency", levels: [32]},
            numRequests: 64,
            warmupRequests: 32,
            dataset: {inputLen: 8, outputLen: SCRIPT.tokens}
          },
          {signal: controller.signal}
        );
        expect(allFigures(report)[0]?.completed).toBe(64);
      }
      // Node emits warnings on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning").map((warning) => warning.message)).toEqual([]);
  });
});
