/**
 * HAProxy as a child process: the rendered configuration in a private temporary file, checked with
 * `haproxy -c` first (so a bad config fails with HAProxy's own message), then run in the foreground
 * (`-db`), which writes server state changes ("Server inflight/r1 is DOWN") to stderr. The file is
 * removed when HAProxy exits. Owns running HAProxy only.
 */
import {execFile} from "node:child_process";
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {promisify} from "node:util";
import {ManagedProcess} from "./ManagedProcess.ts";

export interface HaproxyOptions {
  /** The haproxy binary; default `haproxy` on the PATH (Debian's package). */
  readonly path?: string;
  readonly onLine?: (name: string, line: string) => void;
}

/** Validates `config` with `haproxy -c`; throws with HAProxy's output when it is invalid or HAProxy is missing. */
export async function checkHaproxyConfig(config: string, path = "haproxy"): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), "inflight-haproxy-"));
  try {
    const file = join(folder, "haproxy.cfg");
    writeFileSync(file, config);
    await promisify(execFile)(path, ["-c", "-f", file]).catch((error: Error & {code?: unknown; stderr?: string; stdout?: string}) => {
      if (error.code === "ENOENT") throw new Error(`no ${path} to run (Debian: apt-get install haproxy)`);
      throw new Error(`haproxy -c refused the configuration: ${error.stderr || error.stdout || error.message}`);
    });
  } finally {
    rmSync(folder, {recursive: true, force: true});
  }
}

export async function startHaproxy(config: string, options: HaproxyOptions = {}): Promise<ManagedProcess> {
  const path = options.path ?? "haproxy";
  await checkHaproxyConfig(config, path);
  const folder = mkdtempSync(join(tmpdir(), "inflight-haproxy-"));
  const file = join(folder, "haproxy.cfg");
  writeFileSync(file, config);
  const haproxy = new ManagedProcess({name: "haproxy", command: path, args: ["-db", "-f", file], onLine: options.onLine});
  void haproxy.exited.then(() => rmSync(folder, {recursive: true, force: true}));
  return haproxy;
}
