/**
 * The files in deploy/ agree with each other and with the server: the InferencePool selects the
 * Deployment's pods on the port they serve, names the picker that exists, and the picker reads the
 * engine its pods are labelled with; the server flags in the Deployment parse, and its probes and
 * grace period fit the drain contract they set; HAProxy's health check fails a draining replica
 * within the default drain delay and hashes the server's session key; nginx hashes the same key;
 * the container image holds every file the server imports. No Kubernetes here: the objects are
 * parsed and cross-checked, never applied.
 */
import {existsSync, readFileSync} from "node:fs";
import {dirname, join, relative, resolve} from "node:path";
import {describe, expect, it} from "vitest";
import {buildCli, parseConfig} from "../../server/config.ts";
import {SESSION_HEADER, SESSION_QUERY_PARAM} from "../../server/session/sessionKey.ts";
import {containerfileFacts, haproxyFacts, k8sObject, nginxSessionHeader, pickerConfig, ROOT} from "./deployFiles.ts";

const ENGINE_LABEL = "inference.networking.k8s.io/engine-type";

const deployment = k8sObject("Deployment", "inflight");
const podTemplate = deployment.spec.template;
const container = podTemplate.spec.containers[0];
const pool = k8sObject("InferencePool", "inflight");
const eppDeployment = k8sObject("Deployment", "inflight-epp");
const eppContainer = eppDeployment.spec.template.spec.containers[0];

/** `selector` is satisfied by `labels`. */
const isSelected = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** The value after `flag` in an argument list. */
const argOf = (args: readonly string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe("Kubernetes objects", () => {
  it("select the inflight pods on the port they serve", () => {
    const labels = podTemplate.metadata.labels as Record<string, string>;
    expect(isSelected(deployment.spec.selector.matchLabels, labels)).toBe(true);
    expect(isSelected(pool.spec.selector.matchLabels, labels)).toBe(true);
    expect(isSelected(k8sObject("Service", "inflight").spec.selector, labels)).toBe(true);
    const httpPort = container.ports.find((port: {name: string}) => port.name === "http").containerPort;
    expect(pool.spec.targetPorts).toEqual([{number: httpPort}]);
    const env = Object.fromEntries(container.env.map((entry: {name: string; value: string}) => [entry.name, entry.value]));
    expect([Number(env.INFLIGHT_PORT), env.INFLIGHT_HOST]).toEqual([httpPort, "0.0.0.0"]);
  });

  it("point the pool at the endpoint picker that exists, and the route at the pool", () => {
    const eppService = k8sObject("Service", "inflight-epp");
    expect(pool.spec.endpointPickerRef.name).toBe(eppService.metadata.name);
    const extProcPort = eppService.spec.ports.find((port: {name: string}) => port.name === "grpc-ext-proc").port;
    expect(pool.spec.endpointPickerRef.port.number).toBe(extProcPort);
    expect(eppContainer.ports.map((port: {containerPort: number}) => port.containerPort)).toContain(extProcPort);
    expect(isSelected(eppService.spec.selector, eppDeployment.spec.template.metadata.labels)).toBe(true);
    expect(argOf(eppContainer.args, "--pool-name")).toBe(pool.metadata.name);
    const route = k8sObject("HTTPRoute", "inflight");
    expect(route.spec.rules[0].backendRefs[0]).toMatchObject({group: "inference.networking.k8s.io", kind: "InferencePool", name: pool.metadata.name});
  });

  it("give the picker the configuration it mounts, reading the engine the pods are labelled with", () => {
    const {fileName, config} = pickerConfig();
    const mount = eppContainer.volumeMounts[0];
    expect(argOf(eppContainer.args, "--config-file")).toBe(join(mount.mountPath, fileName));
    expect(eppDeployment.spec.template.spec.volumes[0].configMap.name).toBe("inflight-epp");
    expect([config.apiVersion, config.kind]).toEqual(["inference.networking.x-k8s.io/v1alpha1", "EndpointPickerConfig"]);
    const extractor = config.plugins.find((plugin) => plugin.type === "core-metrics-extractor")!.parameters!;
    const engine = podTemplate.metadata.labels[ENGINE_LABEL];
    expect(extractor.defaultEngine).toBe(engine);
    expect(extractor.engineConfigs!.map((entry) => entry.name)).toEqual([engine]);
    const declared = new Set(config.plugins.map((plugin) => plugin.type));
    for (const {pluginRef} of config.schedulingProfiles[0]!.plugins) expect(declared).toContain(pluginRef);
  });

  it("run the server with flags it knows, and a grace period and readiness probe that fit its drain", () => {
    const server = parseConfig(container.args);
    expect(podTemplate.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(server.drainDelayMs + server.shutdownTimeoutMs);
    const {periodSeconds, failureThreshold} = container.readinessProbe;
    expect(periodSeconds * failureThreshold * 1000).toBeLessThan(server.drainDelayMs);
    expect(container.livenessProbe.httpGet.path).toBe("/health");
    for (const probe of [container.startupProbe, container.readinessProbe]) expect(probe.httpGet.path).toBe("/ready");
  });
});

describe("load balancer configs", () => {
  it("HAProxy marks a draining replica down within the server's default drain delay", () => {
    const haproxy = haproxyFacts();
    expect(haproxy.healthCheckPath).toBe("/ready");
    // One more interval: a check that started just before the drain began still passed.
    expect((haproxy.checkFall + 1) * haproxy.checkIntervalMs).toBeLessThan(parseConfig([]).drainDelayMs);
  });

  it("HAProxy and nginx hash the server's session key", () => {
    const haproxy = haproxyFacts();
    expect([haproxy.sessionHeader, haproxy.sessionQueryParam, haproxy.sessionBodyField]).toEqual([SESSION_HEADER, SESSION_QUERY_PARAM, "user"]);
    expect(nginxSessionHeader()).toBe(SESSION_HEADER);
  });
});

/** Every file `entry` imports by a relative path, transitively, relative to the repository root. */
function importClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    const path = relative(ROOT, file);
    if (seen.has(path)) return;
    seen.add(path);
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = resolve(dirname(file), specifier!);
      if (existsSync(target)) visit(target);
    }
  };
  visit(join(ROOT, entry));
  return seen;
}

describe("the container image", () => {
  it("holds every file the server imports, runs server/main.ts itself, and sets only variables the server reads", () => {
    const {copiedFolders, env, entrypoint} = containerfileFacts();
    // An entrypoint, not a command: the Deployment's args are then appended to it as server flags.
    expect(entrypoint).toEqual(["node", "--import", "tsx", "server/main.ts"]);
    expect(container.command).toBeUndefined();
    const missing = [...importClosure("server/main.ts")].filter((path) => !copiedFolders.includes(path.split("/")[0]!));
    expect(missing).toEqual([]);
    expect(env.UV_THREADPOOL_SIZE).toBe("1");
    const serverVariables = new Set([...buildCli().options.map((option) => option.envVar), "INFLIGHT_CACHE_DIR"]);
    for (const name of Object.keys(env).filter((key) => key.startsWith("INFLIGHT_"))) expect(serverVariables, name).toContain(name);
  });
});
