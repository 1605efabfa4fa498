/**
 * What the files in deploy/ reference, read the way their consumers read them: the Kubernetes
 * objects (YAML, several per file), the endpoint picker's configuration (a YAML document inside a
 * ConfigMap) and its flag variant, the probe and the session key in the HAProxy and nginx configs,
 * and the Containerfile's copies, environment and command. For the contract tests.
 */
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {parseAllDocuments, parse as parseYaml} from "yaml";

export const ROOT = join(import.meta.dirname, "..", "..");
const read = (path: string): string => readFileSync(join(ROOT, "deploy", path), "utf8");

/** A Kubernetes object, loosely typed: the tests navigate it with optional chaining. */
export type K8sObject = {readonly kind: string; readonly metadata: {readonly name: string}; readonly spec?: any; readonly data?: Record<string, string>};

function objectsOf(path: string): K8sObject[] {
  return parseAllDocuments(read(path)).map((document) => document.toJS() as K8sObject).filter((object) => object !== null);
}

export const k8sObjects: readonly K8sObject[] = ["k8s/inflight.yaml", "k8s/inferencepool.yaml", "k8s/epp.yaml"].flatMap(objectsOf);

export function k8sObject(kind: string, name: string): K8sObject {
  const found = k8sObjects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`deploy/k8s has no ${kind} ${name}`);
  return found;
}

export interface EngineConfig {
  readonly name: string;
  readonly queuedRequestsSpec: string;
  readonly runningRequestsSpec: string;
  readonly kvUsageSpec: string;
  readonly loraSpec: string;
  readonly cacheInfoSpec: string;
}

export interface PickerConfig {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plugins: readonly {readonly type: string; readonly parameters?: {defaultEngine?: string; engineConfigs?: EngineConfig[]; path?: string}}[];
  readonly schedulingProfiles: readonly {readonly plugins: readonly {readonly pluginRef: string}[]}[];
}

/** The EndpointPickerConfig in the EPP's ConfigMap, with the file name it is mounted under. */
export function pickerConfig(): {readonly fileName: string; readonly config: PickerConfig} {
  const data = k8sObject("ConfigMap", "inflight-epp").data ?? {};
  const [fileName, text] = Object.entries(data)[0]!;
  return {fileName, config: parseYaml(text) as PickerConfig};
}

/** The metric flags of GAIE v1.0-v1.3's picker, by flag name. */
export function pickerFlagsGaieV13(): Readonly<Record<string, string>> {
  return (parseYaml(read("k8s/epp-flags-gaie-v1.3.yaml")) as {inferenceExtension: {flags: Record<string, string>}}).inferenceExtension.flags;
}

export interface HaproxyFacts {
  readonly healthCheckPath: string;
  readonly sessionHeader: string;
  readonly sessionQueryParam: string;
  readonly sessionBodyField: string;
  readonly checkIntervalMs: number;
  readonly checkFall: number;
}

export function haproxyFacts(): HaproxyFacts {
  const text = read("haproxy/inflight.cfg");
  const match = (pattern: RegExp): string => {
    const found = pattern.exec(text);
    if (!found) throw new Error(`deploy/haproxy/inflight.cfg has nothing matching ${pattern}`);
    return found[1]!;
  };
  return {
    healthCheckPath: match(/option httpchk GET (\S+)/),
    sessionHeader: match(/req\.hdr\(([^)]+)\)/),
    sessionQueryParam: match(/url_param\(([^)]+)\)/),
    sessionBodyField: match(/json_query\('\$\.(\w+)'\)/),
    checkIntervalMs: Number(match(/default-server .*\binter (\d+)s\b/)) * 1000,
    checkFall: Number(match(/default-server .*\bfall (\d+)\b/))
  };
}

/** The request header nginx hashes on (`$http_x_session_id` is the header x-session-id). */
export function nginxSessionHeader(): string {
  const variable = /map \$http_(\w+) \$inflight_session/.exec(read("nginx/inflight.conf"))?.[1];
  if (variable === undefined) throw new Error("deploy/nginx/inflight.conf maps no session header");
  return variable.replaceAll("_", "-");
}

export interface ContainerfileFacts {
  /** Folders copied from the repository into the image. */
  readonly copiedFolders: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Exec form: container arguments (a Kubernetes container's `args`) are appended as server flags. */
  readonly entrypoint: readonly string[];
}

export function containerfileFacts(): ContainerfileFacts {
  const lines = read("container/Containerfile").split("\n");
  const copiedFolders = lines.flatMap((line) => /^COPY (\w+) \.\/\1$/.exec(line)?.[1] ?? []);
  const env = Object.fromEntries(lines.flatMap((line) => {
    const found = /^ENV (\w+)=(\S+)$/.exec(line);
    return found ? [[found[1]!, found[2]!]] : [];
  }));
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(lines.join("\n"))![1]!) as string[];
  return {copiedFolders, env, entrypoint};
}
