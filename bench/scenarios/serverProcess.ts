/**
 * Starts our server (`server/main.ts`) as a child process for a benchmark, waits until `/ready`, and
 * stops it again. A separate process keeps the server's threads and event loop apart from the load
 * generator's, as in production. Owns process handling only.
 */
import {type ChildProcess, spawn} from "node:child_process";
import {join} from "node:path";
import {freeLoopbackPort} from "../../deploy/local/freePort.ts";

const ROOT = join(import.meta.dirname, "..", "..");

export interface ServerProcess extends AsyncDisposable {
  readonly url: string;
  readonly child: ChildProcess;
}

/** A loopback port that was free a moment ago. */
export const freePort = freeLoopbackPort;

/** Runs the server as `npm start` does (`server/start.ts`, with its thread-pool setting unless `env` sets one); resolves once ready. */
export async function startServerProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}, readyTimeoutMs = 300_000): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "server/start.ts", ...args, "--port", String(port), "--log-level", "warn"], {
    cwd: ROOT,
    env: {...process.env, ...env},
    stdio: ["ignore", "inherit", "inherit"]
  });
  return readyProcess("server", child, `http://127.0.0.1:${port}`, "/ready", readyTimeoutMs);
}

/**
 * Waits until `child` answers 200 at `url` + `readyPath`, polling; then hands it back, stopped with
 * SIGTERM on dispose. Throws (naming it `name`, with `describeExit`'s words) if it exits first, and
 * kills it if it is not ready in time.
 */
export async function readyProcess(name: string, child: ChildProcess, url: string, readyPath: string, readyTimeoutMs: number, describeExit = () => ""): Promise<ServerProcess> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready${describeExit()}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} not ready in time`);
    }
    const isReady = await fetch(url + readyPath).then((response) => response.ok, () => false);
    if (isReady) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    child,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    }
  };
}
