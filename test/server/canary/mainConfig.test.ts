/**
 * `--config` in the server process as a user starts it: an invalid file fails at start with its
 * problems listed and exit code 1; a valid one serves both variants behind one name, with the admin
 * API behind `--admin-key`, and exits 0 on SIGTERM.
 */
import {spawn} from "node:child_process";
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, expect, it} from "vitest";
import {freePort} from "../../../bench/scenarios/serverProcess.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const folder = mkdtempSync(join(tmpdir(), "inflight-main-config-"));
afterAll(() => rmSync(folder, {recursive: true, force: true}));

function startServer(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", ...args], {cwd: root, env: {...process.env, UV_THREADPOOL_SIZE: "1"}});
  let output = "";
  let stderr = "";
  child.stdout.on("data", (data) => { output += data; });
  child.stderr.on("data", (data) => { output += data; stderr += data; });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {child, exited, output: () => output, stderr: () => stderr};
}

it("fails at start on an invalid variants file, listing each problem with its path", async () => {
  const path = join(folder, "bad.yaml");
  writeFileSync(path, "models:\n  chat:\n    variants:\n      - {name: stable, model: synthetic:tiny, weight: -1}\n      - {name: stable, model: synthetic:tiny}\n");
  const server = startServer(["--config", path, "--port", "0"]);
  expect(await server.exited).toBe(1);
  expect(server.stderr()).toBe(`inflight: invalid config ${path}:\n` +
    "  models.chat.variants[0].weight: Too small: expected number to be >=0\n" +
    "  models.chat.variants[1].name: duplicate variant name \"stable\"\n");
});

it("serves two variants behind one name, with the admin API behind its key", async () => {
  const path = join(folder, "variants.yaml");
  writeFileSync(path, "models:\n  chat:\n    variants:\n      - {name: stable, model: 'synthetic:tiny:1', weight: 50}\n      - {name: canary, model: 'synthetic:tiny:2', weight: 50}\n");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = startServer(["--config", path, "--port", String(port), "--threads", "1", "--parallel", "1", "--ctx-size", "256", "--admin-key", "k"]);
  try {
    let isReady = false;
    for (let attempt = 0; attempt < 600 && !isReady; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      isReady = await fetch(`${base}/ready`).then((response) => response.status === 200, () => false);
    }
    expect(isReady).toBe(true);
    expect(server.output()).toMatch(/2 model file\(s\) loaded for 2 variant\(s\)/);
    const variants = new Set<string | null>();
    for (const user of ["a", "b", "c", "d", "e", "f", "g", "h"]) {
      const response = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: {"content-type": "application/json"},
        body: JSON.stringify({model: "chat", user, messages: [{role: "user", content: "hi"}], max_tokens: 2})
      });
      expect(response.status).toBe(200);
      variants.add(response.headers.get("x-model-variant"));
    }
    expect(variants).toEqual(new Set(["stable", "canary"]));
    expect((await fetch(`${base}/admin/variants`)).status).toBe(401);
    expect((await fetch(`${base}/admin/variants`, {headers: {authorization: "Bearer k"}})).status).toBe(200);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  } finally {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
  }
}, 90_000);
