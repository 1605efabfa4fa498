/**
 * `--config` in the server process as a user starts it: an invalid file fails at start with its
 * problems listed and exit code 1; a valid one serves both variants behind one name, with the admin
 * API behind `--admin-key`, and exits 0 on SIGTERM.
 */
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, expect, it} from "vitest";
import {freePort} from "../../../bench/scenarios/serverProcess.ts";
import {startServerMain as startServer, waitForReady} from "../../utils/serverMainProcess.ts";

const folder = mkdtempSync(join(tmpdir(), "inflight-main-config-"));
afterAll(() => rmSync(folder, {recursive: true, force: true}));

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
    await waitForReady(base);
    // Logged before the server turns ready, but stdout is a different pipe from the HTTP answer.
    await server.waitForOutput(/2 model file\(s\) loaded for 2 variant\(s\)/, "the line counting the loaded models");
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
