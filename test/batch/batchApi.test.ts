/**
 * The Files and Batches API against the real server over the tiny synthetic model and the embedded
 * store: a batch runs to completion with exactly one output line per custom_id, each answer equal to
 * the same request sent online; validation names the lines at fault; cancel keeps the output so far;
 * files are bounded and guarded; metrics keep batch requests apart from online ones.
 */
import {describe, expect, it} from "vitest";
import {perSuite} from "../utils/perSuite.ts";
import {scrape} from "../server/scrape.ts";
import {startBatchApp} from "./batchApp.ts";
import {BatchClient, chatLine, comparable, toJsonl} from "./batchClient.ts";

const NUM_LINES = 300;

describe("a batch on the embedded store", () => {
  const server = perSuite(() => startBatchApp());
  const client = (): BatchClient => new BatchClient(server().url);

  it("answers every custom_id exactly once, as the same request sent online", async () => {
    const lines = Array.from({length: NUM_LINES}, (_, index) => chatLine(index));
    const created = await client().submit(lines);
    expect(created.status).toBe("validating");
    const batch = await client().waitFor(created.id);
    expect(batch.status).toBe("completed");
    expect(batch.request_counts).toEqual({total: NUM_LINES, completed: NUM_LINES, failed: 0});
    const {output, errors} = await client().outputLines(batch);
    expect(errors).toEqual([]);
    expect(output.map((line) => line.custom_id).sort()).toEqual(lines.map((line) => line.custom_id as string).sort());
    expect(new Set(output.map((line) => line.id)).size).toBe(NUM_LINES);
    for (const index of [0, 1, 17, 150, NUM_LINES - 1]) {
      const online = await client().json<Record<string, unknown>>("POST", "/v1/chat/completions", (lines[index] as {body: unknown}).body);
      const answered = output.find((line) => line.custom_id === `request-${index}`)!;
      expect(answered.response!.status_code).toBe(200);
      expect(answered.error).toBeNull();
      expect(comparable(answered.response!.body)).toEqual(comparable(online));
    }
  });

  it("runs /v1/completions bodies as that endpoint does", async () => {
    const lines = [0, 1, 2].map((index) => ({custom_id: `text-${index}`, method: "POST", url: "/v1/completions",
      body: {prompt: `Once upon a time ${index}`, max_tokens: 5, seed: index}}));
    const batch = await client().waitFor((await client().submit(lines, "/v1/completions")).id);
    const {output} = await client().outputLines(batch);
    const online = await client().json<Record<string, unknown>>("POST", "/v1/completions", lines[1]!.body);
    expect(comparable(output.find((line) => line.custom_id === "text-1")!.response!.body)).toEqual(comparable(online));
    expect(output.find((line) => line.custom_id === "text-1")!.response!.body.object).toBe("text_completion");
  });

  it("fails a batch before any work with errors naming each bad line", async () => {
    const input = toJsonl([
      chatLine(0),
      "{not json",
      {...chatLine(2), custom_id: undefined},
      {...chatLine(3), custom_id: "request-0"},
      {...chatLine(4), url: "/v1/embeddings"},
      {...chatLine(5), method: "GET"},
      chatLine(6, {temperature: 9}),
      chatLine(7, {model: "no-such-model"}),
      chatLine(8, {logit_bias: {"1": 2}})
    ]);
    const batch = await client().waitFor((await client().createBatch(await client().uploadFileId(input))).id);
    expect(batch.status).toBe("failed");
    expect(batch.request_counts.total).toBe(0);
    expect(batch.errors!.data.map(({code, line, param}) => ({code, line, param}))).toEqual([
      {code: "invalid_json_line", line: 2, param: null},
      {code: "missing_custom_id", line: 3, param: "custom_id"},
      {code: "duplicate_custom_id", line: 4, param: "custom_id"},
      {code: "invalid_url", line: 5, param: "url"},
      {code: "invalid_method", line: 6, param: "method"},
      {code: "invalid_value", line: 7, param: "body.temperature"},
      {code: "model_not_found", line: 8, param: "body.model"},
      {code: "unsupported_parameter", line: 9, param: "body.logit_bias"}
    ]);
    expect(batch.errors!.data[2]!.message).toContain("line 1");
  });

  it("answers a request the endpoint refuses with its error, in the error file", async () => {
    const long = "word ".repeat(400);
    const lines = [chatLine(0), {...chatLine(1), body: {messages: [{role: "user", content: long}], max_tokens: 4}}];
    const batch = await client().waitFor((await client().submit(lines)).id);
    expect(batch.status).toBe("completed");
    expect(batch.request_counts).toEqual({total: 2, completed: 1, failed: 1});
    const {output, errors} = await client().outputLines(batch);
    expect(output.map((line) => line.custom_id)).toEqual(["request-0"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.response!.status_code).toBe(400);
    expect((errors[0]!.response!.body as {error: {code: string}}).error.code).toBe("context_length_exceeded");
  });

  it("cancels at once, keeping what was answered and listing the rest as cancelled", async () => {
    const lines = Array.from({length: 400}, (_, index) => chatLine(index, {max_tokens: 16}));
    const created = await client().submit(lines);
    await client().waitFor(created.id, (batch) => batch.request_counts.completed >= 5);
    const cancelling = await client().json<{status: string}>("POST", `/v1/batches/${created.id}/cancel`);
    expect(["cancelling", "cancelled"]).toContain(cancelling.status);
    const batch = await client().waitFor(created.id);
    expect(batch.status).toBe("cancelled");
    const {output, errors} = await client().outputLines(batch);
    expect(output.length).toBe(batch.request_counts.completed);
    expect(output.length).toBeLessThan(400);
    expect(errors.every((line) => line.error?.code === "batch_cancelled" && line.response === null)).toBe(true);
    const ids = [...output, ...errors].map((line) => line.custom_id);
    expect(new Set(ids).size).toBe(400);
    expect(ids).toHaveLength(400);
    expect(server().model.engine.stats.numRunning).toBe(0);
    const again = await client().request("POST", `/v1/batches/${created.id}/cancel`);
    expect((await again.json() as {status: string}).status).toBe("cancelled");
  });

  it("runs a batch that arrives while online traffic has just filled every sequence", async () => {
    const online = Array.from({length: 8}, (_, index) => client().json("POST", "/v1/chat/completions", (chatLine(index, {max_tokens: 8}) as {body: unknown}).body));
    await Promise.all(online);
    const batch = await client().waitFor((await client().submit([chatLine(0), chatLine(1)])).id);
    expect(batch.status).toBe("completed");
  });

  it("lists batches newest first, page by page", async () => {
    const fileId = await client().uploadFileId(toJsonl([chatLine(0)]));
    const created = [];
    for (let index = 0; index < 3; index++) created.push((await client().createBatch(fileId)).id);
    const first = await client().json<{data: {id: string}[]; has_more: boolean; first_id: string; last_id: string}>("GET", "/v1/batches?limit=2");
    expect(first.data.map((batch) => batch.id)).toEqual([created[2], created[1]]);
    expect(first).toMatchObject({has_more: true, first_id: created[2], last_id: created[1]});
    const second = await client().json<{data: {id: string}[]}>("GET", `/v1/batches?limit=1&after=${first.last_id}`);
    expect(second.data.map((batch) => batch.id)).toEqual([created[0]]);
    for (const id of created) await client().waitFor(id);
  });

  it("keeps batch requests out of the online histograms and counts them apart", async () => {
    const before = await scrape(server().url);
    const batch = await client().waitFor((await client().submit([chatLine(1000), chatLine(1001)])).id);
    expect(batch.status).toBe("completed");
    const after = await scrape(server().url);
    const labels = {model_name: "tiny", variant: "default"};
    for (const histogram of ["inflight:time_to_first_token_seconds", "inflight:e2e_request_latency_seconds", "inflight:request_queue_time_seconds"]) {
      expect(after.histogram(histogram, labels).count).toBe(before.histogram(histogram, labels).count);
    }
    expect(after.value("inflight:request_success_total", labels)).toBe(before.value("inflight:request_success_total", labels));
    expect(after.value("inflight:batch_requests_total", {...labels, status: "completed"}) - before.value("inflight:batch_requests_total", {...labels, status: "completed"})).toBe(2);
    expect(after.value("inflight:generation_tokens_total", labels)).toBeGreaterThan(before.value("inflight:generation_tokens_total", labels));
    expect(after.value("inflight:batch_backlog_requests")).toBe(0);
  });
});
