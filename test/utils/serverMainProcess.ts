/**
 * Starts the server as a child process, the way a user runs it, for tests of start-up behaviour
 * (flags, one-line failures, readiness, signals), and waits for what an operator would watch: its
 * output and `/ready`. Owns nothing else: each test decides what to send and how to stop it.
 */
import {type ChildProcess, spawn} from "node:child_process";
import {randomUUID} from "node:crypto";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {eventually} from "./eventually.ts";

const ROOT = join(import.meta.dirname, "..", "..");

export interface ServerMainOptions {
  /**
   * "main" (default) runs server/main.ts with the one-worker libuv pool it is meant to have; "start"
   * runs server/start.ts as `npm start` does, which sets that pool up by re-launching main.ts and
   * relays signals to it.
   */
  readonly entry?: "main" | "start";
  /** Added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ServerMainProcess {
  readonly child: ChildProcess;
  /** The exit code, once the process has ended and all its output is read. */
  readonly exited: Promise<number | null>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves once `pattern` appears in the output; fails if the process exits before it does. */
  waitForOutput(pattern: RegExp, description: string): Promise<void>;
}

export function startServerMain(args: readonly string[], {entry = "main", env = {}}: ServerMainOptions = {}): ServerMainProcess {
  // start.ts chooses the pool only when the environment does not: the inherited choice must go.
  const {UV_THREADPOOL_SIZE: _inherited, ...inherited} = process.env;
  const pool = entry === "main" ? {UV_THREADPOOL_SIZE: "1"} : {};
  // Never the user's own batches: a data directory of its own, created only if the test uses batches.
  const dataDir = {INFLIGHT_DATA_DIR: join(tmpdir(), `inflight-test-data-${randomUUID()}`)};
  const child = spawn(process.execPath, ["--import", "tsx", `server/${entry}.ts`, ...args], {cwd: ROOT, env: {...inherited, ...dataDir, ...pool, ...env}});
  let output = "";
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data) => { output += data; stdout += data; });
  child.stderr.on("data", (data) => { output += data; stderr += data; });
  // "close", not "exit": the output is complete only once the pipes have closed.
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return {
    child, exited, output: () => output, stdout: () => stdout, stderr: () => stderr,
    async waitForOutput(pattern, description) {
      await eventually(description, () => {
        if (pattern.test(output)) return true;
        if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before ${description}; its output:\n${output}`);
        return false;
      });
    }
  };
}

/**
 * Polls `/ready` until it answers 200 (loading a model takes a while, so the hang guard is a
 * minute). `onNotReady` sees the reason of each 503 on the way.
 */
export async function waitForReady(baseUrl: string, {intervalMs = 100, onNotReady}: {
  readonly intervalMs?: number;
  readonly onNotReady?: (reason: string) => void;
} = {}): Promise<void> {
  await eventually(`${baseUrl}/ready answers 200`, async () => {
    const response = await fetch(`${baseUrl}/ready`).catch(() => null);
    if (response?.status === 503) onNotReady?.(((await response.json()) as {reason: string}).reason);
    return response?.status === 200;
  }, {intervalMs, timeoutMs: 60_000});
}
