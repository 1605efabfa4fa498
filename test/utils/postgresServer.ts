/**
 * A throw-away PostgreSQL server for tests: Debian's `postgresql` package (`.ci/run` installs it),
 * initialised in a temporary directory and listening on a free loopback port, with trust
 * authentication and fsync off (its data is deleted afterwards). As root, the server runs as the
 * `postgres` user, since PostgreSQL refuses to run as root. Tests that need it skip, saying why, when
 * it is missing, except under CI=true, where a missing server is a failure.
 */
import {execFileSync} from "node:child_process";
import {chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {freePort} from "../../bench/scenarios/serverProcess.ts";

const POSTGRES_ROOT = "/usr/lib/postgresql";

/** The newest installed server's binaries, or null. */
export function postgresBinDir(): string | null {
  if (!existsSync(POSTGRES_ROOT)) return null;
  const versions = readdirSync(POSTGRES_ROOT).filter((name) => existsSync(join(POSTGRES_ROOT, name, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(POSTGRES_ROOT, versions[0], "bin");
}

export const isCi = process.env.CI !== undefined && !["", "0", "false"].includes(process.env.CI);

export interface PostgresServer extends AsyncDisposable {
  /** postgres://... of a database the tests may use. */
  readonly url: string;
}

function runAsOwner(binary: string, args: readonly string[], isRoot: boolean): void {
  if (isRoot) execFileSync("runuser", ["-u", "postgres", "--", binary, ...args], {stdio: "pipe"});
  else execFileSync(binary, args, {stdio: "pipe"});
}

export async function startPostgres(): Promise<PostgresServer> {
  const binDir = postgresBinDir();
  if (binDir === null) throw new Error(`no PostgreSQL server under ${POSTGRES_ROOT} (apt-get install postgresql)`);
  const isRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "inflight-pg-"));
  const dataDir = join(dir, "data");
  if (isRoot) {
    chmodSync(dir, 0o755);
    chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString().trim()), Number(execFileSync("id", ["-g", "postgres"]).toString().trim()));
  }
  const port = await freePort();
  runAsOwner(join(binDir, "initdb"), ["-D", dataDir, "-U", "inflight", "--auth=trust", "--no-sync"], isRoot);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  runAsOwner(join(binDir, "pg_ctl"), ["-D", dataDir, "-o", options, "-l", join(dir, "server.log"), "-w", "start"], isRoot);
  return {
    url: `postgres://inflight@127.0.0.1:${port}/postgres`,
    async [Symbol.asyncDispose]() {
      try {
        runAsOwner(join(binDir, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"], isRoot);
      } finally {
        rmSync(dir, {recursive: true, force: true});
      }
    }
  };
}
