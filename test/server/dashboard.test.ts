/**
 * The Grafana dashboard in dashboards/ against a live /metrics: every metric a panel or variable
 * queries exists (histogram parts of histograms only), every label it groups or filters by is on
 * that metric (or is one Prometheus adds at scrape: instance, job), and the panels an operator needs
 * are there.
 */
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {complete} from "./completionClient.ts";
import {type FakeApp, startFakeApp} from "./fakeApp.ts";
import {type Scrape, scrape} from "./scrape.ts";

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: {readonly x: number; readonly w: number};
  readonly datasource?: {readonly uid: string};
  readonly targets?: readonly {readonly expr: string; readonly datasource: {readonly uid: string}}[];
  readonly panels?: readonly Panel[];
}

interface Dashboard {
  readonly panels: readonly Panel[];
  readonly templating: {readonly list: readonly {readonly name: string; readonly type: string; readonly query: unknown}[]};
}

const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "dashboards", "inflight.json"), "utf8")) as Dashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const queries = [
  ...panels.flatMap((panel) => panel.targets ?? []).map((target) => target.expr),
  ...dashboard.templating.list.flatMap((variable) => variable.type === "query" ? [(variable.query as {query: string}).query] : [])
];
const METRIC = /\b(?:inflight:[a-z0-9_:]+|nodejs_[a-z0-9_]+|process_[a-z0-9_]+)/g;
const HISTOGRAM_PART = /_(bucket|sum|count)$/;
/** Labels Prometheus attaches to every series it scrapes. */
const TARGET_LABELS = new Set(["instance", "job"]);

let server: FakeApp;
let metrics: Scrape;

beforeAll(async () => {
  server = await startFakeApp();
  await complete(server.url, "/v1/chat/completions", {messages: [{role: "user", content: "hi"}], max_tokens: 2});
  metrics = await scrape(server.url);
});

afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

/** The family a queried series name belongs to: itself, or the histogram whose part it is. */
function familyOf(name: string): string | null {
  if (metrics.has(name)) return metrics.types.get(name) === "HISTOGRAM" ? null : name;
  const base = name.replace(HISTOGRAM_PART, "");
  return base !== name && metrics.types.get(base) === "HISTOGRAM" ? base : null;
}

describe("dashboards/inflight.json", () => {
  it("queries only metrics that /metrics exports", () => {
    const names = new Set(queries.flatMap((query) => query.match(METRIC) ?? []));
    expect(names.size).toBeGreaterThan(20);
    for (const name of names) expect(familyOf(name), `${name} is not exported`).not.toBeNull();
  });

  it("groups and filters only by labels those metrics carry", () => {
    for (const query of queries) {
      const families = (query.match(METRIC) ?? []).map((name) => familyOf(name)!);
      const available = new Set(families.flatMap((family) => [...metrics.labelNames(family)]));
      const grouped = [...query.matchAll(/\bby \(([^)]*)\)/g)].flatMap((match) => match[1]!.split(",").map((label) => label.trim()));
      const filtered = [...query.matchAll(/\{([^}]*)\}/g)].flatMap((match) => [...match[1]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)\s*"/g)].map((label) => label[1]!));
      for (const label of [...grouped, ...filtered]) {
        if (!TARGET_LABELS.has(label)) expect(available.has(label), `${label} in ${query}`).toBe(true);
      }
    }
  });

  it("has the panels a serving operator needs, each with a query on the chosen data source", () => {
    const titles = panels.map((panel) => panel.title).join("\n");
    for (const needed of ["Time to first token", "Time per output token", "Inter-token latency", "Tokens / s", "Queue time", "Running and waiting",
      "KV cache usage", "Prefix cache hit rate", "Draft acceptance rate", "p99 TTFT by variant", "Success rate by variant", "Event-loop lag"]) {
      expect(titles).toContain(needed);
    }
    const graphs = panels.filter((panel) => panel.type !== "row");
    for (const panel of graphs) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource?.uid, panel.title).toBe("${datasource}");
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    expect(dashboard.templating.list.map((variable) => variable.name)).toEqual(["datasource", "model_name", "variant", "instance"]);
  });
});
