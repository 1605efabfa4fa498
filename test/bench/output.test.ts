/**
 * What the bench writes: the terminal tables, the SVG chart and the JSON report, from a report
 * produced by a real (small) comparison run against two fake servers.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {escapeXml, niceScale, renderChartSvg} from "../../bench/chart.ts";
import {formatJsonReport, REDACTED} from "../../bench/jsonReport.ts";
import {runLoad} from "../../bench/runLoad.ts";
import {renderTable} from "../../bench/table.ts";
import type {BenchReport} from "../../bench/types.ts";
import {startFakeServer, type FakeServer} from "./fakeServer.ts";

let servers: FakeServer[] = [];
let report: BenchReport;

beforeAll(async () => {
  const a = await startFakeServer({script: {ttftMs: 4, itlMs: 2, tokens: 4}});
  const b = await startFakeServer({script: {ttftMs: 8, itlMs: 1, tokens: 4}, faults: {3: "http500"}, hasMetrics: false});
  servers = [a, b];
  report = await runLoad({
    target: {url: a.url, model: "m", apiKey: "top-secret"},
    compare: {url: b.url, model: "m<&>"},
    workload: {kind: "rate", levels: [50, Infinity]},
    numRequests: 4,
    rounds: 1,
    dataset: {outputLen: 4, inputLen: 8},
    slo: {ttftMs: 1000}
  });
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

describe("renderTable", () => {
  it("shows both servers, the B/A ratios, failures, metric deltas and notes", () => {
    const text = renderTable(report);
    expect(text).toMatch(/^rate\s+server\s+ok\s+failed\s+req\/s/m);
    expect(text).toMatch(/^50\s+A\s+4\s+0/m);
    expect(text).toMatch(/^50\s+B\s+3\s+1/m);
    expect(text).toMatch(/^inf\s+A/m);
    expect(text).toMatch(/^\s+B\/A\s+\d+\.\d\dx/m);
    expect(text).toMatch(/B at 50: http_500 x1/);
    expect(text).toMatch(/A at 50:\n\s+inflight:generation_tokens_total\{model_name="fake"\} \+16/);
    expect(text).toMatch(/B \(http:\/\/127\.0\.0\.1:\d+\) exposes no \/metrics/);
  });
});

describe("renderChartSvg", () => {
  it("draws three panels with axes, labels and a legend for both servers", () => {
    const svg = renderChartSvg(report);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    for (const title of ["Output token throughput", "Time to first token", "Time per output token"]) expect(svg).toContain(title);
    expect(svg).toContain("request rate (requests/s, Poisson)");
    expect(svg).toContain(`A: ${report.config.target.url} (m)`);
    expect(svg).toContain("(m&lt;&amp;&gt;)");
    expect(svg).toContain(">inf<");
    expect(svg).toContain("p99 (latency panels)");
    // Throughput: one line per server; TTFT and TPOT: three percentiles per server.
    expect(svg.match(/<polyline/g)).toHaveLength(2 + 6 + 6);
    // Balanced tags: every opened group is closed.
    expect(svg.match(/<g>/g)?.length).toBe(svg.match(/<\/g>/g)?.length);
    expect(svg).not.toContain("NaN");
  });

  it("picks round axis steps and escapes text", () => {
    expect(niceScale(87)).toEqual({max: 100, step: 20});
    expect(niceScale(0.42)).toEqual({max: 0.5, step: 0.1});
    expect(niceScale(1234)).toEqual({max: 1500, step: 500});
    expect(niceScale(0)).toEqual({max: 1, step: 0.2});
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
  });
});

describe("formatJsonReport", () => {
  it("holds every figure and the exact configuration, with keys redacted and infinity spelled out", () => {
    const text = formatJsonReport(report);
    expect(text).not.toContain("top-secret");
    const json = JSON.parse(text) as BenchReport & {config: {workload: {levels: unknown[]}}};
    expect(json.config.target.apiKey).toBe(REDACTED);
    expect(json.config.workload.levels).toEqual([50, "Infinity"]);
    expect(json.config.slo).toEqual({ttftMs: 1000});
    expect(json.levels[0]?.servers[0]?.ttftMs?.p99).toBe(report.levels[0]?.servers[0]?.ttftMs?.p99);
    expect(json.levels[0]?.ratios?.ttftMs.median).toBe(report.levels[0]?.ratios?.ttftMs.median);
    expect(json.rounds).toHaveLength(4);
  });
});
