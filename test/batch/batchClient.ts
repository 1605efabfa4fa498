/**
 * A small client of the Files and Batches API over HTTP, as a user's script would be: upload JSONL,
 * create a batch, wait for its end (by polling its status, with a hang guard), read its files. Also
 * builds input lines.
 */
import {eventually} from "../utils/eventually.ts";

export interface BatchObject {
  id: string;
  status: string;
  output_file_id: string | null;
  error_file_id: string | null;
  errors: {data: {code: string; message: string; param: string | null; line: number | null}[]} | null;
  request_counts: {total: number; completed: number; failed: number};
}

export interface OutputLine {
  id: string;
  custom_id: string;
  response: {status_code: number; request_id: string; body: Record<string, unknown>} | null;
  error: {code: string; message: string} | null;
}

const FINAL_STATUSES = new Set(["completed", "failed", "cancelled", "expired"]);

/** A chat request line with a small, seeded, reproducible body. */
export function chatLine(index: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    custom_id: `request-${index}`, method: "POST", url: "/v1/chat/completions",
    body: {messages: [{role: "user", content: `Say something about number ${index}`}], max_tokens: 4, temperature: 0.8, seed: index, ...overrides}
  };
}

export const toJsonl = (lines: readonly unknown[]): string => lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n") + "\n";

export class BatchClient {
  constructor(readonly url: string, private readonly headers: Record<string, string> = {}) {}

  async upload(content: string, {purpose = "batch", filename = "input.jsonl"} = {}): Promise<Response> {
    const form = new FormData();
    form.append("purpose", purpose);
    form.append("file", new Blob([content]), filename);
    return fetch(`${this.url}/v1/files`, {method: "POST", body: form, headers: this.headers});
  }

  async uploadFileId(content: string): Promise<string> {
    const response = await this.upload(content);
    if (response.status !== 200) throw new Error(`upload: ${response.status} ${await response.text()}`);
    return ((await response.json()) as {id: string}).id;
  }

  async request(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method, headers: {...this.headers, ...(body === undefined ? {} : {"content-type": "application/json"})},
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async createBatch(inputFileId: string, endpoint = "/v1/chat/completions"): Promise<BatchObject> {
    return this.json("POST", "/v1/batches", {input_file_id: inputFileId, endpoint, completion_window: "24h"});
  }

  /** Uploads the lines and starts a batch over them. */
  async submit(lines: readonly unknown[], endpoint?: string): Promise<BatchObject> {
    return this.createBatch(await this.uploadFileId(toJsonl(lines)), endpoint);
  }

  getBatch(id: string): Promise<BatchObject> {
    return this.json("GET", `/v1/batches/${id}`);
  }

  /** Polls until the batch is in a final status (or `isDone` holds), and returns it. */
  async waitFor(id: string, isDone: (batch: BatchObject) => boolean = (batch) => FINAL_STATUSES.has(batch.status)): Promise<BatchObject> {
    let last: BatchObject | null = null;
    return eventually(() => `batch ${id} to reach the awaited state; last seen ${JSON.stringify(last)}`, async () => {
      last = await this.getBatch(id);
      return isDone(last) ? last : null;
    }, {intervalMs: 100, timeoutMs: 240_000});
  }

  async fileText(fileId: string | null): Promise<string> {
    if (fileId === null) return "";
    const response = await this.request("GET", `/v1/files/${fileId}/content`);
    if (response.status !== 200) throw new Error(`content of ${fileId}: ${response.status}`);
    return response.text();
  }

  async outputLines(batch: BatchObject): Promise<{output: OutputLine[]; errors: OutputLine[]}> {
    const parse = (text: string): OutputLine[] => text.split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line) as OutputLine);
    return {output: parse(await this.fileText(batch.output_file_id)), errors: parse(await this.fileText(batch.error_file_id))};
  }
}

/** A response body without what differs between two runs of the same request: ids, times, timings. */
export function comparable(body: Record<string, unknown>): Record<string, unknown> {
  const {id: _id, created: _created, timings: _timings, ...rest} = body;
  const usage = rest.usage as Record<string, unknown> | undefined;
  // The prefix cache may hold part of a prompt in one run and not in the other.
  if (usage) rest.usage = {...usage, prompt_tokens_details: undefined};
  return rest;
}
