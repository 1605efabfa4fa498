/**
 * Speculative decoding in the server process as a user starts it: contradicting flags and a missing
 * draft model fail at start with one line and exit code 1; a draft model is loaded beside the target
 * and named in the start-up log line.
 */
import {expect, it} from "vitest";
import {freePort} from "../../bench/scenarios/serverProcess.ts";
import {startServerMain as startServer, waitForReady} from "../utils/serverMainProcess.ts";

it.each([
  [["--speculative", "draft"], "inflight: --speculative draft needs --draft-model (or use --speculative ngram, which needs no draft model)"],
  [["--speculative", "ngram", "--draft-model", "synthetic:tiny-draft"], "inflight: --speculative ngram uses no draft model: drop --draft-model, or use --speculative draft"],
  [["--draft-model", "/nonexistent/draft.gguf"], "inflight: --draft-model: model file not found: /nonexistent/draft.gguf"]
])("fails at start with one line for %j", async (args, line) => {
  const server = startServer([...args, "--port", "0"]);
  expect(await server.exited).toBe(1);
  expect(server.stderr().trim().split("\n")).toEqual([line]);
});

it("serves with a draft model and says so in the start-up log", async () => {
  const port = await freePort();
  const server = startServer(["--draft-model", "synthetic:tiny-draft", "--threads", "1", "--port", String(port)]);
  try {
    await waitForReady(`http://127.0.0.1:${port}`);
    // Logged before the server turns ready, but stdout is a different pipe from the HTTP answer.
    await server.waitForOutput(/"msg":"serving /, "the line announcing the served model");
    expect(server.output()).toMatch(/draft: .*synthetic model .*tiny-draft/);
    expect(server.output()).toContain("speculative: draft model, up to 8 tokens");
    const reply = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
      method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({prompt: "hello", max_tokens: 4, speculative: false})
    });
    expect(reply.status).toBe(200);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  } finally {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
  }
});
