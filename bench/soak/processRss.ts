/**
 * Resident memory of a process, read from Linux's `/proc/PID/status` (`VmRSS`), in bytes. Null where
 * there is no procfs (macOS) or the process is gone. Owns that one read.
 */
import {readFileSync} from "node:fs";

export function processRssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
