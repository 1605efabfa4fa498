/**
 * The offline CLI (`npm run batch`): runs a JSONL file without the HTTP server and writes OpenAI's
 * output lines, one per custom_id, in input order, the same answers the server's batches give; a
 * file that fails validation is refused with its line numbers and exit code 1.
 */
import {execFile} from "node:child_process";
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {promisify} from "node:util";
import {afterAll, expect, it} from "vitest";
import {chatLine, type OutputLine, toJsonl} from "./batchClient.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "inflight-batch-cli-"));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const runCli = (args: readonly string[]) => promisify(execFile)(process.execPath, ["--import", "tsx", "server/batch/cli/main.ts", "--threads", "1", ...args],
  {cwd: ROOT, env: {...process.env, UV_THREADPOOL_SIZE: "1"}});

it("writes one answer per custom_id in input order, and errors apart", async () => {
  const input = join(dir, "in.jsonl");
  const lines = [chatLine(0), chatLine(1), {...chatLine(2), body: {messages: [{role: "user", content: "word ".repeat(400)}]}}, chatLine(3)];
  writeFileSync(input, toJsonl(lines));
  await runCli(["--input", input, "--output", join(dir, "out.jsonl"), "--error-output", join(dir, "errors.jsonl"), "--ctx-size", "256"]);
  const read = (name: string): OutputLine[] => readFileSync(join(dir, name), "utf8").trim().split("\n").map((line) => JSON.parse(line) as OutputLine);
  const output = read("out.jsonl");
  expect(output.map((line) => line.custom_id)).toEqual(["request-0", "request-1", "request-3"]);
  expect(output.every((line) => line.response?.status_code === 200 && line.error === null && line.id.startsWith("batch_req_"))).toBe(true);
  expect((output[0]!.response!.body as {object: string}).object).toBe("chat.completion");
  const errors = read("errors.jsonl");
  expect(errors.map((line) => [line.custom_id, line.response?.status_code])).toEqual([["request-2", 400]]);
});

it("refuses an invalid file, naming its lines", async () => {
  const input = join(dir, "bad.jsonl");
  writeFileSync(input, toJsonl([chatLine(0), chatLine(0)]));
  const failure = await runCli(["--input", input, "--output", join(dir, "never.jsonl")]).then(() => null, (error: {code: number; stderr: string}) => error);
  expect(failure?.code).toBe(1);
  expect(failure?.stderr).toContain("line 2: duplicate_custom_id");
});
