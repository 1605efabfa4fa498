/**
 * The data directory's lock file: the embedded database must have one process at a time, so the
 * first server to open a directory writes its pid there and a second one is refused while that
 * process lives. A lock left by a process that died (`kill -9`) is taken over.
 */
import {closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync} from "node:fs";
import {join} from "node:path";

const LOCK_FILE = "inflight.lock";

export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly ownerPid: number) {
    super(`the data directory ${dataDir} is in use by process ${ownerPid}; give this server its own --data-dir, or share a --database-url`);
    this.name = "DataDirInUseError";
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the directory's lock; returns its release. Throws {@link DataDirInUseError} when a live process holds it. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  try {
    const fd = openSync(path, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const ownerPid = Number(readFileSync(path, "utf8").trim());
    if (Number.isInteger(ownerPid) && ownerPid !== process.pid && isProcessAlive(ownerPid)) throw new DataDirInUseError(dataDir, ownerPid);
    writeFileSync(path, String(process.pid));
  }
  return () => {
    try {
      if (readFileSync(path, "utf8").trim() === String(process.pid)) rmSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
}
