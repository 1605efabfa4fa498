/**
 * Starts `server/main.ts` as a child process, the way a user runs the server, for tests of start-up
 * behaviour (flags, one-line failures, readiness, SIGTERM), and polls its readiness. Owns nothing
 * else: each test decides what to send and how to stop it.
 */
import {type ChildProcess, spawn} from "node:child_process";
import {join} from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");

export interface ServerMainProcess {
  readonly child: ChildProcess;
  /** The exit code once the process ends. */
  readonly exited: Promise<number | null>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  stderr(): string;
}

export function startServerMain(args: readonly string[]): ServerMainProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", ...args], {cwd: ROOT, env: {...process.env, UV_THREADPOOL_SIZE: "1"}});
  let output = "";
  let stderr = "";
  child.stdout.on("data", (data) => { output += data; });
  child.stderr.on("data", (data) => { output += data; stderr += data; });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {child, exited, output: () => output, stderr: () => stderr};
}

/** Polls `/ready` every 100 ms for up to a minute; true once it answers 200. */
export async function waitForReady(baseUrl: string): Promise<boolean> {
  for (let attempt = 0; attempt < 600; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (await fetch(`${baseUrl}/ready`).then((response) => response.status === 200, () => false)) return true;
  }
  return false;
}
