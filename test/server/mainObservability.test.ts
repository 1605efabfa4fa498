/**
 * The server process's start-up as an operator watches it: /ready says why it is not ready yet, a
 * warm-up decode runs before it is (and is logged, but not counted in /metrics), /metrics then serves
 * the model's series, and `--no-metrics` takes /metrics away.
 */
import {spawn} from "node:child_process";
import {join} from "node:path";
import {describe, expect, it} from "vitest";
import {Scrape} from "./scrape.ts";
import {freePort} from "../../bench/scenarios/serverProcess.ts";

const root = join(import.meta.dirname, "..", "..");

/** Starts the server, polls /ready until 200, and returns the reasons it gave on the way. */
async function startUntilReady(args: string[]) {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", "--threads", "1", "--model-name", "demo", "--port", String(port), ...args],
    {cwd: root, env: process.env});
  let output = "";
  child.stdout.on("data", (data) => { output += data; });
  child.stderr.on("data", (data) => { output += data; });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const reasons = new Set<string>();
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 3000; attempt++) {
    const response = await fetch(`${url}/ready`).catch(() => null);
    if (response?.status === 200) break;
    if (response?.status === 503) reasons.add(((await response.json()) as {reason: string}).reason);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url, reasons, output: () => output,
    async stop(): Promise<number | null> {
      child.kill("SIGTERM");
      return exited;
    }
  };
}

describe("start-up, warm-up and /metrics of the server process", () => {
  it("is not ready while loading, warms up, and then exports metrics without the warm-up in them", async () => {
    const server = await startUntilReady([]);
    try {
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      expect(server.reasons.has("the model is loading")).toBe(true);
      expect(server.output()).toMatch(/warm-up decode took \d+ ms/);
      const idle = new Scrape(await (await fetch(`${server.url}/metrics`)).text());
      const labels = {model_name: "demo", variant: "default"};
      expect(idle.value("inflight:request_success_total", labels)).toBe(0);
      expect(idle.value("inflight:generation_tokens_total", labels)).toBe(0);
      expect(idle.value("inflight:prefix_cache_queries_total", labels)).toBe(0);
      expect(idle.histogram("inflight:time_to_first_token_seconds", labels).count).toBe(0);

      const reply = await fetch(`${server.url}/v1/completions`, {
        method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({prompt: "Hello", max_tokens: 3, ignore_eos: true})
      });
      const body = (await reply.json()) as {usage: {prompt_tokens: number; completion_tokens: number}};
      const served = new Scrape(await (await fetch(`${server.url}/metrics`)).text());
      expect(served.value("inflight:request_success_total", labels)).toBe(1);
      expect(served.value("inflight:generation_tokens_total", labels)).toBe(body.usage.completion_tokens);
      expect(served.value("inflight:prompt_tokens_total", labels)).toBe(body.usage.prompt_tokens);
      expect(server.output()).toContain('"msg":"request finished"');
      expect(server.output()).not.toContain("Hello");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("serves no /metrics with --no-metrics", async () => {
    const server = await startUntilReady(["--no-metrics"]);
    try {
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
