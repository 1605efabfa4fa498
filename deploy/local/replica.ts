/**
 * One inflight replica of the local cluster: `server/main.ts` on a loopback port, with the one-worker
 * thread pool `npm start` would give it, started and waited for until `/ready` answers 200. Owns
 * starting one replica; the cluster decides how many and with which flags.
 */
import {join} from "node:path";
import {setTimeout as sleep} from "node:timers/promises";
import {ManagedProcess} from "./ManagedProcess.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** A large model can take minutes to load; past this the replica is reported as failed. */
const READY_TIMEOUT_MS = 10 * 60_000;
const READY_POLL_INTERVAL_MS = 200;

export interface ReplicaSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Server flags, `--model` included; `--host` and `--port` are the cluster's. */
  readonly serverArgs: readonly string[];
  readonly onLine?: (name: string, line: string) => void;
}

export interface Replica {
  readonly name: string;
  readonly url: string;
  readonly process: ManagedProcess;
}

/** Starts the server process; resolves once it is ready, throws (after stopping it) if it exits or never gets ready. */
export async function startReplica(spec: ReplicaSpec): Promise<Replica> {
  // start.ts chooses the pool only when the environment does not; main.ts is started directly so
  // that the process the cluster signals (or kills) is the server itself.
  const server = new ManagedProcess({
    name: spec.name,
    command: process.execPath,
    args: ["--import", "tsx", "server/main.ts", ...spec.serverArgs, "--host", spec.host, "--port", String(spec.port)],
    cwd: ROOT,
    env: {...process.env, UV_THREADPOOL_SIZE: "1"},
    onLine: spec.onLine
  });
  const url = `http://${spec.host}:${spec.port}`;
  const deadlineMs = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!server.isRunning) throw new Error(`replica ${spec.name} exited before it was ready; its output:\n${server.output()}`);
    if (performance.now() > deadlineMs) {
      await server.stop("SIGKILL");
      throw new Error(`replica ${spec.name} was not ready after ${READY_TIMEOUT_MS / 1000} s`);
    }
    const isReady = await fetch(`${url}/ready`).then((response) => response.ok, () => false);
    if (isReady) return {name: spec.name, url, process: server};
    await sleep(READY_POLL_INTERVAL_MS);
  }
}
