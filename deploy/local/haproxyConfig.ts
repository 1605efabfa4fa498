/**
 * Renders `deploy/haproxy/inflight.cfg` for a local cluster: the shipped file with its frontend's
 * `bind` and its backend's `server` lines replaced, and optionally its session hashing replaced by
 * round robin (to measure what stickiness buys). Everything else is used as shipped, so the cluster
 * and its tests run the configuration users get. Owns the rendering only.
 */
import {readFileSync} from "node:fs";
import {join} from "node:path";

/** The configuration users get, which the local cluster renders. */
export const HAPROXY_CONFIG_PATH = join(import.meta.dirname, "..", "haproxy", "inflight.cfg");

/** "session": the shipped consistent hashing on the session key; "roundrobin": no stickiness. */
export type BalanceMode = "session" | "roundrobin";

export interface HaproxyServer {
  /** As HAProxy reports it (`x-served-by`, its log lines): r1, r2, ... */
  readonly name: string;
  /** host:port */
  readonly address: string;
}

export interface HaproxyRendering {
  /** host:port the load balancer listens on. */
  readonly bindAddress: string;
  readonly servers: readonly HaproxyServer[];
  readonly balance?: BalanceMode;
}

const SESSION_BALANCE = /^(\s*)balance hash var\(txn\.session\)\s*$/;

/** The shipped config rendered for `rendering`; throws when the file lost a line the rendering relies on. */
export function renderHaproxyConfig(rendering: HaproxyRendering, template = readFileSync(HAPROXY_CONFIG_PATH, "utf8")): string {
  const lines = template.split("\n");
  const bindIndex = lines.findIndex((line) => /^\s+bind\s/.test(line));
  const serverIndexes = lines.flatMap((line, index) => (/^\s+server\s/.test(line) ? [index] : []));
  const balanceIndex = lines.findIndex((line) => SESSION_BALANCE.test(line));
  if (bindIndex < 0 || serverIndexes.length === 0 || balanceIndex < 0) {
    throw new Error(`${HAPROXY_CONFIG_PATH} has no bind line, server lines or session balance line to render`);
  }
  const indent = /^\s*/.exec(lines[serverIndexes[0]!]!)![0];
  lines[bindIndex] = `${/^\s*/.exec(lines[bindIndex]!)![0]}bind ${rendering.bindAddress}`;
  if (rendering.balance === "roundrobin") lines[balanceIndex] = `${SESSION_BALANCE.exec(lines[balanceIndex]!)![1]}balance roundrobin`;
  const servers = rendering.servers.map((server) => `${indent}server ${server.name} ${server.address}`);
  const firstServer = serverIndexes[0]!;
  const rest = lines.filter((_, index) => !serverIndexes.includes(index));
  rest.splice(firstServer, 0, ...servers);
  return rest.join("\n");
}
