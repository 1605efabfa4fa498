/**
 * A child process of the local cluster (a replica or HAProxy): its output, line by line, to a
 * callback and kept for waiting on; its exit; and stopping it by a signal. It runs in its own
 * process group, so a terminal's Ctrl-C reaches only the cluster, which stops its children in order.
 * Owns process handling only.
 */
import {type ChildProcess, spawn} from "node:child_process";
import {createInterface} from "node:readline";

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ProcessSpec {
  /** How its lines are attributed: r1, haproxy, ... */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Every line it writes, stdout and stderr, as it arrives. */
  readonly onLine?: (name: string, line: string) => void;
}

export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves once the process has ended and its output is read. */
  readonly exited: Promise<ProcessExit>;
  private readonly lines: string[] = [];
  private readonly waiters = new Set<(line: string) => void>();

  constructor(spec: ProcessSpec) {
    this.name = spec.name;
    this.child = spawn(spec.command, [...spec.args], {cwd: spec.cwd, env: spec.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"]});
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({input: stream}).on("line", (line) => {
        this.lines.push(line);
        spec.onLine?.(this.name, line);
        for (const waiter of this.waiters) waiter(line);
      });
    }
    // "close", not "exit": only then is all of its output read.
    this.exited = new Promise((resolve) => this.child.once("close", (code, signal) => resolve({code, signal})));
    // A spawn failure (no such command) is reported as an exit, with the reason as a line.
    this.child.once("error", (error) => this.lines.push(`${spec.command}: ${error.message}`));
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything it wrote so far. */
  output(): string {
    return this.lines.join("\n");
  }

  /** Resolves with the first line, past or future, matching `pattern`; rejects if it exits first. */
  waitForLine(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = (line: string): void => {
        if (!pattern.test(line)) return;
        this.waiters.delete(waiter);
        resolve(line);
      };
      this.waiters.add(waiter);
      void this.exited.then(() => {
        if (!this.waiters.delete(waiter)) return;
        reject(new Error(`${this.name} exited before writing a line matching ${pattern}; its output:\n${this.output()}`));
      });
    });
  }

  /** Sends `signal` (if it still runs) and resolves with how it ended. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<ProcessExit> {
    if (this.isRunning) this.child.kill(signal);
    return this.exited;
  }
}
