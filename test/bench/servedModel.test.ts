/**
 * The model a run sends when none is named: each server's first at `GET /v1/models`, asked before
 * the run; a clear configuration error when a server lists none or cannot be asked.
 */
import {createServer, type Server} from "node:http";
import type {AddressInfo} from "node:net";
import {afterEach, describe, expect, it} from "vitest";
import {BenchConfigError} from "../../bench/config.ts";
import {runLoad} from "../../bench/runLoad.ts";
import {renderTable} from "../../bench/table.ts";
import {startFakeServer, type FakeServer} from "./fakeServer.ts";

const SCRIPT = {ttftMs: 2, itlMs: 1, tokens: 2};

let servers: FakeServer[] = [];
let plain: Server | undefined;
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  if (plain !== undefined) await new Promise((resolve) => plain?.close(resolve));
  plain = undefined;
});

async function fake(models: readonly string[]): Promise<FakeServer> {
  const server = await startFakeServer({script: SCRIPT, models});
  servers.push(server);
  return server;
}

const LOAD = {workload: {kind: "concurrency", levels: [1]}, numRequests: 2, warmupRequests: 0, isMetricsEnabled: false} as const;

describe("a run without a model name", () => {
  it("sends each server's first listed model and names it in the report", async () => {
    const a = await fake(["alpha", "beta"]);
    const b = await fake(["gamma"]);
    const report = await runLoad({target: {url: a.url}, compare: {url: b.url}, ...LOAD, rounds: 1});
    expect(a.requests.map((request) => request.body["model"])).toEqual(["alpha", "alpha"]);
    expect(b.requests.map((request) => request.body["model"])).toEqual(["gamma", "gamma"]);
    expect(report.config.target.model).toBe("alpha");
    expect(report.config.compare?.model).toBe("gamma");
    expect(renderTable(report)).toMatch(/A = http:\/\/127\.0\.0\.1:\d+ \(alpha\), B = http:\/\/127\.0\.0\.1:\d+ \(gamma\)/);
  });

  it("keeps a model that was named, and asks only the server without one", async () => {
    const a = await fake([]);
    const b = await fake(["gamma"]);
    await runLoad({target: {url: a.url, model: "given"}, compare: {url: b.url}, ...LOAD, rounds: 1});
    expect(a.requests.every((request) => request.body["model"] === "given")).toBe(true);
    expect(b.requests.every((request) => request.body["model"] === "gamma")).toBe(true);
  });

  it("fails with a configuration error when the server lists no model", async () => {
    const a = await fake([]);
    const run = runLoad({target: {url: a.url}, ...LOAD});
    await expect(run).rejects.toBeInstanceOf(BenchConfigError);
    await expect(run).rejects.toThrow(/target\.model: not given, and GET http:\/\/127\.0\.0\.1:\d+\/v1\/models lists no model; name one with --model/);
    expect(a.requests).toHaveLength(0);
  });

  it("fails with a configuration error when the server has no model list", async () => {
    plain = createServer((_request, response) => response.writeHead(404).end());
    await new Promise<void>((resolve) => plain?.listen(0, "127.0.0.1", resolve));
    const {port} = plain.address() as AddressInfo;
    await expect(runLoad({target: {url: `http://127.0.0.1:${port}`}, ...LOAD})).rejects.toThrow(/answered HTTP 404; name one with --model/);
  });
});
