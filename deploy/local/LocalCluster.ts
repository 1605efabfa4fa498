/**
 * N inflight replicas behind HAProxy on loopback ports, as one object: started in order (replicas
 * first, each ready, then HAProxy, ready once a request through it reaches a replica) and stopped in
 * order (replicas drained by SIGTERM while HAProxy still routes around them, then HAProxy). Used by
 * `npm run cluster`, the integration tests and the cluster bench. Owns the order only.
 */
import {setTimeout as sleep} from "node:timers/promises";
import {freeLoopbackPort} from "./freePort.ts";
import {type BalanceMode, renderHaproxyConfig} from "./haproxyConfig.ts";
import {checkHaproxyConfig, startHaproxy} from "./haproxyProcess.ts";
import type {ManagedProcess} from "./ManagedProcess.ts";
import {type Replica, startReplica} from "./replica.ts";

export interface ClusterOptions {
  readonly numReplicas: number;
  /** Flags of every replica (`--model` and anything else, `--database-url` for a shared batch store). */
  readonly serverArgs: readonly string[];
  readonly host?: string;
  /** The load balancer's port; 0: a free one. */
  readonly port?: number;
  /** The first replica's port, the others following; 0: free ones. */
  readonly firstReplicaPort?: number;
  readonly balance?: BalanceMode;
  readonly haproxyPath?: string;
  /** Every line of every process, as it arrives, with the process's name (r1, ..., haproxy). */
  readonly onLine?: (name: string, line: string) => void;
}

const HAPROXY_READY_POLL_INTERVAL_MS = 100;
const HAPROXY_READY_TIMEOUT_MS = 30_000;

export class LocalCluster implements AsyncDisposable {
  private constructor(
    /** The load balancer's URL: what clients use. */
    readonly url: string,
    readonly replicas: readonly Replica[],
    readonly haproxy: ManagedProcess,
    /** The HAProxy configuration it runs. */
    readonly haproxyConfig: string
  ) {}

  static async start(options: ClusterOptions): Promise<LocalCluster> {
    const host = options.host ?? "127.0.0.1";
    const ports = await replicaPorts(options);
    const port = options.port || (await freeLoopbackPort());
    const config = renderHaproxyConfig({
      bindAddress: `${host}:${port}`,
      servers: ports.map((replicaPort, index) => ({name: `r${index + 1}`, address: `${host}:${replicaPort}`})),
      balance: options.balance
    });
    // Before any model loads: a missing haproxy or a refused configuration fails at once.
    await checkHaproxyConfig(config, options.haproxyPath);
    const replicas: Replica[] = [];
    try {
      // One at a time: loading models side by side only makes each slower.
      for (const [index, replicaPort] of ports.entries()) {
        replicas.push(await startReplica({name: `r${index + 1}`, host, port: replicaPort, serverArgs: options.serverArgs, onLine: options.onLine}));
      }
    } catch (error) {
      await Promise.all(replicas.map((replica) => replica.process.stop("SIGKILL")));
      throw error;
    }
    const haproxy = await startHaproxy(config, {path: options.haproxyPath, onLine: options.onLine}).catch(async (error: unknown) => {
      await Promise.all(replicas.map((replica) => replica.process.stop("SIGKILL")));
      throw error;
    });
    const cluster = new LocalCluster(`http://${host}:${port}`, replicas, haproxy, config);
    await cluster.waitUntilRouting().catch(async (error: unknown) => {
      await cluster.kill();
      throw error;
    });
    return cluster;
  }

  replica(name: string): Replica {
    const replica = this.replicas.find((entry) => entry.name === name);
    if (!replica) throw new Error(`no replica ${name}`);
    return replica;
  }

  /**
   * Drains every replica (SIGTERM: readiness turns 503, running requests finish), waits for them to
   * exit, then stops HAProxy. Resolves with the replicas' exit codes by name.
   */
  async stop(): Promise<Record<string, number | null>> {
    const exits = await Promise.all(this.replicas.map(async (replica) => [replica.name, (await replica.process.stop("SIGTERM")).code] as const));
    await this.haproxy.stop("SIGTERM");
    return Object.fromEntries(exits);
  }

  /** Ends every process at once (a second Ctrl-C, a failed start). */
  async kill(): Promise<void> {
    await Promise.all([...this.replicas.map((replica) => replica.process.stop("SIGKILL")), this.haproxy.stop("SIGKILL")]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }

  /** HAProxy answers and reaches a replica. */
  private async waitUntilRouting(): Promise<void> {
    const deadlineMs = performance.now() + HAPROXY_READY_TIMEOUT_MS;
    for (;;) {
      if (!this.haproxy.isRunning) throw new Error(`haproxy exited; its output:\n${this.haproxy.output()}`);
      const isRouting = await fetch(`${this.url}/ready`).then((response) => response.ok, () => false);
      if (isRouting) return;
      if (performance.now() > deadlineMs) throw new Error(`haproxy did not route to a replica within ${HAPROXY_READY_TIMEOUT_MS / 1000} s`);
      await sleep(HAPROXY_READY_POLL_INTERVAL_MS);
    }
  }
}

async function replicaPorts(options: ClusterOptions): Promise<number[]> {
  const first = options.firstReplicaPort ?? 0;
  const ports: number[] = [];
  for (let index = 0; index < options.numReplicas; index++) ports.push(first === 0 ? await freeLoopbackPort() : first + index);
  return ports;
}
