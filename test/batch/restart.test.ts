/**
 * Durable by default: the server is killed with SIGKILL half-way through a batch and started again on
 * the same data directory. The batch resumes from what was written: it completes with exactly one
 * answer per custom_id, and the restarted process decodes only the requests that were not answered
 * before the kill (its own counter shows how many it ran; its "batch resumes" log line how many were
 * already answered).
 */
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, expect, it} from "vitest";
import {freePort} from "../../bench/scenarios/serverProcess.ts";
import {scrape} from "../server/scrape.ts";
import {type ServerMainProcess, startServerMain, waitForReady} from "../utils/serverMainProcess.ts";
import {expectAnsweredOnce} from "./answeredOnce.ts";
import {BatchClient, chatLine, comparable} from "./batchClient.ts";

const NUM_LINES = 400;
const dataDir = mkdtempSync(join(tmpdir(), "inflight-restart-"));
const running: ServerMainProcess[] = [];

afterAll(async () => {
  for (const server of running) if (server.child.exitCode === null) server.child.kill("SIGKILL");
  await Promise.all(running.map((server) => server.exited));
  rmSync(dataDir, {recursive: true, force: true});
});

async function startServer(port: number): Promise<ServerMainProcess> {
  const server = startServerMain(["--port", String(port), "--threads", "1", "--parallel", "4", "--ctx-size", "256", "--data-dir", dataDir]);
  running.push(server);
  await waitForReady(`http://127.0.0.1:${port}`);
  return server;
}

it("resumes after kill -9 without losing, repeating or recomputing an answer", async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const client = new BatchClient(url);
  const first = await startServer(port);
  const lines = Array.from({length: NUM_LINES}, (_, index) => chatLine(index, {max_tokens: 8}));
  const created = await client.submit(lines);
  const seen = await client.waitFor(created.id, (batch) => batch.request_counts.completed >= NUM_LINES / 4);
  expect(seen.status).toBe("in_progress");
  first.child.kill("SIGKILL");
  await first.exited;

  const second = await startServer(port);
  await second.waitForOutput(/"msg":"batch resumes"/, "the restarted server resumes the batch");
  const resumed = second.stdout().split("\n").map((line) => (line.startsWith("{") ? JSON.parse(line) as Record<string, unknown> : {}))
    .find((line) => line.msg === "batch resumes" && line.batchId === created.id)!;
  const answeredBeforeKill = resumed.answered as number;
  expect(answeredBeforeKill).toBeGreaterThanOrEqual(seen.request_counts.completed);
  expect(answeredBeforeKill).toBeLessThan(NUM_LINES);

  const {output} = await expectAnsweredOnce(client, created.id, NUM_LINES);
  const metrics = await scrape(url);
  expect(metrics.value("inflight:batch_requests_total", {status: "completed"})).toBe(NUM_LINES - answeredBeforeKill);
  for (const index of [0, NUM_LINES - 1]) {
    const online = await client.json<Record<string, unknown>>("POST", "/v1/chat/completions", (lines[index] as {body: unknown}).body);
    expect(comparable(output.find((line) => line.custom_id === `request-${index}`)!.response!.body)).toEqual(comparable(online));
  }
});
