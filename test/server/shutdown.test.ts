/**
 * Graceful shutdown of the real server process (as `npm start` runs it): on SIGTERM `/ready` turns 503
 * "draining" at once while requests are still admitted for --drain-delay, then new requests get 503
 * with Retry-After, streams in flight complete with [DONE], and the process exits 0; past
 * --shutdown-timeout the remaining streams end with a final chunk (finish_reason set) instead of being cut.
 */
import {describe, expect, it} from "vitest";
import {freePort} from "../../bench/scenarios/serverProcess.ts";
import {type ServerMainProcess, startServerMain, waitForReady} from "../utils/serverMainProcess.ts";
import {readSseData} from "../utils/sse.ts";

/** Logged once the server has stopped admitting (shutdown.ts does both in the same turn). */
const SIGTERM_LINE = /SIGTERM: refusing new requests/;
/** Logged once readiness says "draining" (shutdown.ts does both in the same turn). */
const DRAINING_LINE = /SIGTERM: draining/;

async function startServer(extraArgs: string[]): Promise<ServerMainProcess & {url: string}> {
  const port = await freePort();
  // Info level: the SIGTERM line and the request log are what the tests wait on.
  const server = startServerMain(["--port", String(port), "--threads", "1", "--parallel", "2", "--log-level", "info", ...extraArgs], {entry: "start"});
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(url);
  return {...server, url};
}

async function readiness(url: string): Promise<{status: number; body: unknown}> {
  const response = await fetch(`${url}/ready`);
  return {status: response.status, body: await response.json()};
}

function chat(url: string, maxTokens: number, stream: boolean) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({messages: [{role: "user", content: "Tell a story."}], max_tokens: maxTokens, stream, ignore_eos: true})
  });
}

interface Chunk {
  readonly choices: {delta?: {role?: string; content?: string}; finish_reason: string | null}[];
  readonly timings?: {generated_tokens: number};
}

/**
 * Reads an SSE response as it arrives. `running` resolves at the first chunk after the role chunk
 * (which goes out before the request runs): a token was generated, so the request is in flight.
 * `ended` resolves with every chunk once the body ends, and whether its last event was [DONE].
 */
function readStream(response: Response): {running: Promise<void>; ended: Promise<{chunks: Chunk[]; isDone: boolean}>} {
  let onRunning!: () => void;
  let onEndedFirst!: (error: Error) => void;
  const running = new Promise<void>((resolve, reject) => { onRunning = resolve; onEndedFirst = reject; });
  const ended = (async () => {
    const chunks: Chunk[] = [];
    let lastData = "";
    for await (const data of readSseData(response)) {
      lastData = data;
      if (data === "[DONE]") continue;
      const chunk = JSON.parse(data) as Chunk;
      chunks.push(chunk);
      if (chunk.choices[0]?.delta?.role === undefined) onRunning();
    }
    onEndedFirst(new Error(`the stream ended before its first token: ${JSON.stringify(chunks)}`));
    return {chunks, isDone: lastData === "[DONE]"};
  })();
  return {running, ended};
}

describe("graceful shutdown", () => {
  it("says draining at once, admits during the drain delay, then refuses with a retryable 503; streams finish; exits 0", async () => {
    const server = await startServer(["--drain-delay", "5"]);
    try {
      // Long enough to still be running when admission stops, whatever the machine's speed.
      const stream = readStream(await chat(server.url, 3000, true));
      await stream.running;
      server.child.kill("SIGTERM");
      await server.waitForOutput(DRAINING_LINE, "the draining line");
      expect(await readiness(server.url)).toEqual({status: 503, body: {status: "not_ready", reason: "draining"}});
      const admitted = await chat(server.url, 4, false);
      expect(admitted.status).toBe(200);
      expect(admitted.headers.get("connection")).toBe("close");
      await server.waitForOutput(SIGTERM_LINE, "the line saying admission stopped");
      const refused = await chat(server.url, 4, false);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await refused.json()).toMatchObject({error: {code: "shutting_down"}});
      const {chunks, isDone} = await stream.ended;
      expect(isDone).toBe(true);
      expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("length");
      expect(chunks.at(-1)!.timings!.generated_tokens).toBe(3000);
      expect(await server.exited).toBe(0);
      // The order an operator reads in the log: draining first, then the refusal.
      const output = server.output();
      expect(output.search(DRAINING_LINE)).toBeLessThan(output.search(SIGTERM_LINE));
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });

  it("without a drain delay refuses new requests with 503 at once, lets streams in flight finish with [DONE], and exits 0", async () => {
    const server = await startServer(["--drain-delay", "0"]);
    try {
      const stream = readStream(await chat(server.url, 300, true));
      await stream.running;
      server.child.kill("SIGTERM");
      await server.waitForOutput(SIGTERM_LINE, "the SIGTERM line");
      const refused = await chat(server.url, 4, false);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({error: {code: "shutting_down"}});
      const {chunks, isDone} = await stream.ended;
      expect(isDone).toBe(true);
      expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("length");
      expect(await server.exited).toBe(0);
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });

  it("ends streams still running at --shutdown-timeout with a final chunk", async () => {
    const server = await startServer(["--drain-delay", "0", "--shutdown-timeout", "1", "--ctx-size", "8192"]);
    try {
      const stream = readStream(await chat(server.url, 8000, true));
      await stream.running;
      server.child.kill("SIGTERM");
      const {chunks, isDone} = await stream.ended;
      expect(isDone).toBe(true);
      const finish = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
      expect(finish).toHaveLength(1);
      expect(finish[0]!.choices[0]!.finish_reason).toBe("length");
      // Ended by the shutdown timeout, far short of its 8,000 tokens: the request log says why it ended.
      expect(chunks.at(-1)!.timings!.generated_tokens).toBeLessThan(8000);
      await server.waitForOutput(/"finishReason":"timeout"/, "the request's log line, ended by the shutdown timeout");
      expect(await server.exited).toBe(0);
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });
});
