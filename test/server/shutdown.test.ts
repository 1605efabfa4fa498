/**
 * Graceful shutdown of the real server process (as `npm start` runs it): on SIGTERM new requests get
 * 503, streams in flight complete with [DONE], and the process exits 0; past --shutdown-timeout the
 * remaining streams end with a final chunk (finish_reason set) instead of being cut.
 */
import {spawn} from "node:child_process";
import {join} from "node:path";
import {describe, expect, it} from "vitest";
import {freePort} from "../../bench/scenarios/serverProcess.ts";

const root = join(import.meta.dirname, "..", "..");

async function startServer(extraArgs: string[]) {
  const port = await freePort();
  const {UV_THREADPOOL_SIZE: _inherited, ...env} = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", "server/start.ts", "--port", String(port), "--threads", "1", "--parallel", "2", "--log-level", "warn", ...extraArgs], {cwd: root, env});
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 600; attempt++) {
    if (await fetch(`${url}/ready`).then((response) => response.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {child, exited, url};
}

function chat(url: string, maxTokens: number, stream: boolean) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({messages: [{role: "user", content: "Tell a story."}], max_tokens: maxTokens, stream, ignore_eos: true})
  });
}

async function readAll(response: Response): Promise<{chunks: {choices: {finish_reason: string | null}[]}[]; isDone: boolean}> {
  const text = await response.text();
  const events = text.split("\n\n").filter((event) => event.startsWith("data: ")).map((event) => event.slice(6));
  const chunks = events.filter((data) => data !== "[DONE]").map((data) => JSON.parse(data) as {choices: {finish_reason: string | null}[]});
  return {chunks, isDone: events.at(-1) === "[DONE]"};
}

describe("graceful shutdown", () => {
  it("refuses new requests with 503, lets streams in flight finish with [DONE], and exits 0", async () => {
    const server = await startServer([]);
    try {
      const response = await chat(server.url, 300, true);
      const reading = readAll(response);
      await new Promise((resolve) => setTimeout(resolve, 200));
      server.child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 200));
      const refused = await chat(server.url, 4, false);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({error: {code: "shutting_down"}});
      const {chunks, isDone} = await reading;
      expect(isDone).toBe(true);
      expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("length");
      expect(await server.exited).toBe(0);
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });

  it("ends streams still running at --shutdown-timeout with a final chunk", async () => {
    const server = await startServer(["--shutdown-timeout", "1", "--ctx-size", "8192"]);
    try {
      const startedMs = Date.now();
      const reading = readAll(await chat(server.url, 8000, true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      server.child.kill("SIGTERM");
      const {chunks, isDone} = await reading;
      expect(isDone).toBe(true);
      const finish = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
      expect(finish).toHaveLength(1);
      expect(finish[0]!.choices[0]!.finish_reason).toBe("length");
      expect(Date.now() - startedMs).toBeLessThan(60_000);
      expect(await server.exited).toBe(0);
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });
});
