/**
 * Whether the HAProxy tests run: they need Debian's `haproxy` (HAProxy 2.6). Skipped, saying why, only
 * when it is absent outside CI; in CI (`CI=true`, where `.ci/run` installs it) a missing HAProxy is a
 * failure, so CI cannot pass without having run them.
 */
import {spawnSync} from "node:child_process";

const isCi = process.env.CI !== undefined && !["", "0", "false"].includes(process.env.CI);
const hasHaproxy = spawnSync("haproxy", ["-v"]).status === 0;

/** True when the HAProxy tests must be skipped (no haproxy, not in CI). */
export const isHaproxySkipped = !hasHaproxy && !isCi;

/** Call at the top of a test file that needs HAProxy: says why it is skipped. */
export function warnIfHaproxySkipped(suite: string): void {
  if (isHaproxySkipped) console.warn(`${suite} SKIPPED: no haproxy on the PATH (apt-get install haproxy)`);
}
