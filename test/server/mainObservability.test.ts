/**
 * The server process's start-up as an operator watches it: /ready says why it is not ready yet, a
 * warm-up decode runs before it is (and is logged, but not counted in /metrics), /metrics then serves
 * the model's series, and `--no-metrics` takes /metrics away.
 */
import {describe, expect, it} from "vitest";
import {freePort} from "../../bench/scenarios/serverProcess.ts";
import {startServerMain, waitForReady} from "../utils/serverMainProcess.ts";
import {Scrape} from "./scrape.ts";

/** Starts the server, polls /ready until 200, and returns the reasons it gave on the way. */
async function startUntilReady(args: string[]) {
  const port = await freePort();
  const server = startServerMain(["--threads", "1", "--model-name", "demo", "--port", String(port), ...args]);
  const reasons = new Set<string>();
  const url = `http://127.0.0.1:${port}`;
  // Polled often: the loading phase must be seen on the way.
  await waitForReady(url, {intervalMs: 20, onNotReady: (reason) => reasons.add(reason)});
  return {
    url, reasons, output: server.output, waitForOutput: server.waitForOutput,
    async stop(): Promise<number | null> {
      server.child.kill("SIGTERM");
      return server.exited;
    }
  };
}

describe("start-up, warm-up and /metrics of the server process", () => {
  it("is not ready while loading, warms up, and then exports metrics without the warm-up in them", async () => {
    const server = await startUntilReady([]);
    try {
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      expect(server.reasons.has("the model is loading")).toBe(true);
      // Logged before the server turns ready, but stdout is a different pipe from the HTTP answer.
      await server.waitForOutput(/warm-up decode took \d+ ms/, "the warm-up line");
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
      await server.waitForOutput(/"msg":"request finished"/, "the request's log line");
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
