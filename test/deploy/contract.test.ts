/**
 * Every metric name and probe path that deploy/ references exists on a running server (the real
 * process, synthetic tiny model): the probes of the Deployment and HAProxy's health check answer 200
 * once the server is ready, and every metric the endpoint picker is told to read (GAIE v1.4+
 * `engineConfigs` and the v1.0-v1.3 flags) is found the way the picker finds it. A spec is
 * `name{label=value}`; the picker takes the first matching series when there is no timestamp, so
 * the test requires exactly one, of type gauge, with a value in the range its meaning allows.
 */
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {freeLoopbackPort} from "../../deploy/local/freePort.ts";
import {type ServerMainProcess, startServerMain, waitForReady} from "../utils/serverMainProcess.ts";
import {haproxyFacts, k8sObject, pickerConfig, pickerFlagsGaieV13} from "./deployFiles.ts";

type Meaning = "count" | "fraction" | "cacheInfo";

/** What the picker does with each metric, by engineConfigs field and by GAIE v1.3 flag. */
const CONFIG_MEANINGS = {queuedRequestsSpec: "count", runningRequestsSpec: "count", kvUsageSpec: "fraction", cacheInfoSpec: "cacheInfo"} as const;
const FLAG_MEANINGS = {"total-queued-requests-metric": "count", "total-running-requests-metric": "count",
  "kv-cache-usage-percentage-metric": "fraction", "cache-info-metric": "cacheInfo"} as const;

interface Spec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The picker's spec syntax: a PromQL selector with equality matchers, quotes optional. */
function parseSpec(text: string): Spec {
  const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?$/.exec(text.trim());
  if (!match) throw new Error(`not a metric spec: ${text}`);
  const labels = Object.fromEntries((match[2] ?? "").split(",").filter(Boolean).map((pair) => {
    const [key, value] = pair.split("=").map((part) => part.trim().replace(/^"|"$/g, ""));
    return [key!, value!];
  }));
  return {name: match[1]!, labels};
}

let server: ServerMainProcess & {url: string};

beforeAll(async () => {
  const port = await freeLoopbackPort();
  server = {...startServerMain(["--port", String(port), "--threads", "1", "--parallel", "2", "--log-level", "warn"]), url: `http://127.0.0.1:${port}`};
  await waitForReady(server.url);
});

afterAll(async () => {
  server?.child.kill("SIGKILL");
  await server?.exited;
});

describe("probe paths", () => {
  it("every probe in deploy/ answers 200 on a ready server", async () => {
    const container = k8sObject("Deployment", "inflight").spec.template.spec.containers[0];
    const paths = [container.startupProbe, container.readinessProbe, container.livenessProbe].map((probe) => probe.httpGet.path as string);
    paths.push(haproxyFacts().healthCheckPath);
    expect(new Set(paths)).toEqual(new Set(["/ready", "/health"]));
    for (const path of paths) expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
  });

  it("the picker scrapes the path the server serves its metrics on", async () => {
    const source = pickerConfig().config.plugins.find((plugin) => plugin.type === "metrics-data-source")!;
    expect((await fetch(`${server.url}${source.parameters!.path}`)).status).toBe(200);
  });
});

describe("metrics the endpoint picker reads", () => {
  async function expectReadable(specText: string, meaning: Meaning): Promise<void> {
    const spec = parseSpec(specText);
    const families = parsePrometheusTextFormat(await (await fetch(`${server.url}/metrics`)).text());
    const family = families.find((entry) => entry.name === spec.name);
    expect(family, `${spec.name} on /metrics`).toBeDefined();
    expect(family!.type, spec.name).toBe("GAUGE");
    const matching = family!.metrics.filter((series) => Object.entries(spec.labels).every(([key, value]) => series.labels?.[key] === value));
    expect(matching, `series matching ${specText}`).toHaveLength(1);
    const [series] = matching;
    const value = Number(series!.value);
    if (meaning === "count") expect(Number.isInteger(value) && value >= 0, `${specText} = ${value}`).toBe(true);
    if (meaning === "fraction") expect(value >= 0 && value <= 1, `${specText} = ${value}`).toBe(true);
    if (meaning === "cacheInfo") {
      for (const label of ["block_size", "num_gpu_blocks"]) expect(Number(series!.labels?.[label]), `${specText} ${label}`).toBeGreaterThan(0);
    }
  }

  it("GAIE v1.4+ engineConfigs: every spec but the disabled LoRA one", async () => {
    const extractor = pickerConfig().config.plugins.find((plugin) => plugin.type === "core-metrics-extractor")!.parameters!;
    const engine = extractor.engineConfigs![0]!;
    expect(engine.loraSpec).toBe("");
    for (const [field, meaning] of Object.entries(CONFIG_MEANINGS)) await expectReadable(engine[field as keyof typeof CONFIG_MEANINGS], meaning);
  });

  it("GAIE v1.0-v1.3 flags: the same metrics", async () => {
    const flags = pickerFlagsGaieV13();
    expect(flags["lora-info-metric"]).toBe("");
    for (const [flag, meaning] of Object.entries(FLAG_MEANINGS)) await expectReadable(flags[flag]!, meaning);
    const engine = pickerConfig().config.plugins.find((plugin) => plugin.type === "core-metrics-extractor")!.parameters!.engineConfigs![0]!;
    expect([flags["total-queued-requests-metric"], flags["total-running-requests-metric"], flags["kv-cache-usage-percentage-metric"], flags["cache-info-metric"]])
      .toEqual([engine.queuedRequestsSpec, engine.runningRequestsSpec, engine.kvUsageSpec, engine.cacheInfoSpec]);
  });
});
