/**
 * The server process as a user starts it: flags and environment variables, a clear one-line error
 * and a non-zero exit for a missing or corrupt model, readiness after loading, and a clean exit on
 * SIGTERM.
 */
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {freePort} from "../../bench/scenarios/serverProcess.ts";
import {startServerMain, waitForReady} from "../utils/serverMainProcess.ts";

const folder = mkdtempSync(join(tmpdir(), "inflight-main-"));
afterAll(() => rmSync(folder, {recursive: true, force: true}));

/** server/start.ts, what `npm start` runs: it re-launches main.ts with a one-worker libuv pool. */
const startServer = (args: string[], env: Record<string, string> = {}) => startServerMain(args, {entry: "start", env});

/** Runs the server to its exit. */
async function run(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  const server = startServer(args);
  const code = await server.exited;
  return {code, stdout: server.stdout(), stderr: server.stderr()};
}

describe("server/start.ts and server/main.ts", () => {
  it("lists its flags with --help", async () => {
    const {stdout, code} = await run(["--help"]);
    expect(code).toBe(0);
    for (const flag of ["--host", "--port", "--model", "--model-name", "--parallel", "--ctx-size", "--threads", "--gpu", "--max-queue"]) expect(stdout).toContain(flag);
    expect(stdout).toContain("INFLIGHT_PORT");
  });

  it("fails at start with one clear line when the model file is missing", async () => {
    const {code, stderr} = await run(["--model", join(folder, "nope.gguf"), "--port", "0"]);
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([`inflight: model file not found: ${join(folder, "nope.gguf")}`]);
  });

  it("fails at start when the file is not a GGUF", async () => {
    const path = join(folder, "text.gguf");
    writeFileSync(path, "definitely not a model");
    const {code, stderr} = await run(["--model", path, "--port", "0"]);
    expect(code).toBe(1);
    expect(stderr).toContain("not a GGUF file");
  });

  it("fails with a clear line when a GGUF is corrupt", async () => {
    const path = join(folder, "corrupt.gguf");
    writeFileSync(path, Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(64, 0xff)]));
    const {code, stderr} = await run(["--model", path, "--port", "0", "--log-level", "error"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^inflight: cannot load .*corrupt\.gguf/m);
  });

  it("rejects an invalid flag value", async () => {
    const {code, stderr} = await run(["--parallel", "zero"]);
    expect(code).not.toBe(0);
    expect(stderr).toContain("expected an integer");
  });

  it("serves the default synthetic model on the port from the environment, then exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const server = startServer(["--threads", "1", "--model-name", "demo"], {INFLIGHT_PORT: String(port)});
    try {
      await waitForReady(`http://127.0.0.1:${port}`);
      const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as {data: {id: string}[]};
      expect(models.data.map((model) => model.id)).toEqual(["demo"]);
      // Logged before the server turns ready, but stdout is a different pipe from the HTTP answer.
      await server.waitForOutput(/"msg":"serving /, "the line announcing the served model");
      expect(server.output()).toMatch(/synthetic model .*tiny/);
      expect(server.output()).toContain("libuv pool 1");
      // Which CPU backend variant llama.cpp loaded, and that decodes keep a sampler per sequence.
      expect(server.output()).toMatch(/CPU features [A-Z0-9_]+/);
      expect(server.output()).toContain("sampling persistent-sampler");
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    } finally {
      // A failed assertion must not leave a server running after the suite.
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });
});
