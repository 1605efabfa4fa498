/**
 * Starts llama.cpp's own `llama-server` (built by `npm run bench:reference` from the source
 * node-llama-cpp ships) as a child process for a side-by-side benchmark, waits until its `/health`
 * answers 200, and stops it again. Owns process handling only; which flags make the two servers
 * comparable is the scenario's.
 */
import {spawn} from "node:child_process";
import {existsSync} from "node:fs";
import {join} from "node:path";
import {freeLoopbackPort} from "../../deploy/local/freePort.ts";
import {ROOT} from "./scenarioPreamble.ts";
import {readyProcess, type ServerProcess} from "./serverProcess.ts";

/** Where `npm run bench:reference` puts the binary. */
export const LLAMA_SERVER_PATH = join(ROOT, "build-ref", "llama.cpp", "build", "bin", "llama-server");

/** Runs `llama-server` with `args` (host and port are added) and resolves once `/health` says ready. */
export async function startLlamaServer(args: readonly string[], readyTimeoutMs = 300_000): Promise<ServerProcess> {
  if (!existsSync(LLAMA_SERVER_PATH)) throw new Error(`${LLAMA_SERVER_PATH} is missing: run \`npm run bench:reference\` first`);
  const port = await freeLoopbackPort();
  const child = spawn(LLAMA_SERVER_PATH, [...args, "--host", "127.0.0.1", "--port", String(port)], {
    cwd: ROOT,
    // Its per-request log lines go nowhere: writing them would compete for the cores being measured.
    stdio: ["ignore", "ignore", "pipe"]
  });
  let stderrTail = "";
  child.stderr!.on("data", (chunk: Buffer) => { stderrTail = (stderrTail + chunk.toString()).slice(-4000); });
  return readyProcess("llama-server", child, `http://127.0.0.1:${port}`, "/health", readyTimeoutMs, () => `:\n${stderrTail}`);
}
