/**
 * What the batch scenarios do against a server: upload a JSONL batch and start it, wait for its end,
 * read its output, and drive closed-loop online requests (non-streamed; the server's own `timings`
 * give TTFT and TPOT). Plain fetch, as a user's script would.
 */
export interface BatchState {
  id: string;
  status: string;
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts: {total: number; completed: number; failed: number};
}

export interface OnlineResult {
  readonly ttftMs: number;
  readonly tpotMs: number | null;
  readonly completionTokens: number;
}

const FINAL = new Set(["completed", "failed", "cancelled", "expired"]);

export function batchLine(index: number, body: Record<string, unknown>): string {
  return JSON.stringify({custom_id: `request-${index}`, method: "POST", url: "/v1/chat/completions", body});
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function submitBatch(baseUrl: string, lines: readonly string[]): Promise<BatchState> {
  const form = new FormData();
  form.append("purpose", "batch");
  form.append("file", new Blob([`${lines.join("\n")}\n`]), "bench.jsonl");
  const uploaded = await fetch(`${baseUrl}/v1/files`, {method: "POST", body: form});
  if (!uploaded.ok) throw new Error(`upload: ${uploaded.status} ${await uploaded.text()}`);
  const {id} = (await uploaded.json()) as {id: string};
  return postJson(`${baseUrl}/v1/batches`, {input_file_id: id, endpoint: "/v1/chat/completions", completion_window: "24h"});
}

export async function getBatch(baseUrl: string, id: string): Promise<BatchState> {
  return (await (await fetch(`${baseUrl}/v1/batches/${id}`)).json()) as BatchState;
}

/** Polls until `isDone` (default: a final status). */
export async function waitBatch(baseUrl: string, id: string, isDone = (batch: BatchState) => FINAL.has(batch.status), intervalMs = 50): Promise<BatchState> {
  for (;;) {
    const batch = await getBatch(baseUrl, id);
    if (isDone(batch)) return batch;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The output and error lines of a finished batch, parsed. */
export async function batchOutput(baseUrl: string, batch: BatchState): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  for (const fileId of [batch.output_file_id, batch.error_file_id]) {
    if (fileId === null) continue;
    const text = await (await fetch(`${baseUrl}/v1/files/${fileId}/content`)).text();
    for (const line of text.split("\n")) if (line.length > 0) lines.push(JSON.parse(line) as Record<string, unknown>);
  }
  return lines;
}

/** Runs `bodies` online, `concurrency` at a time, each client sending its next request when its last one ends. */
export async function closedLoop(baseUrl: string, bodies: readonly Record<string, unknown>[], concurrency: number,
  onResponse?: (index: number, body: Record<string, unknown>) => void): Promise<OnlineResult[]> {
  const results: OnlineResult[] = [];
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < bodies.length) {
      const index = next++;
      const body = await postJson<Record<string, unknown>>(`${baseUrl}/v1/chat/completions`, bodies[index]);
      const timings = body.timings as {ttft_ms: number; tpot_ms: number | null};
      results.push({ttftMs: timings.ttft_ms, tpotMs: timings.tpot_ms, completionTokens: (body.usage as {completion_tokens: number}).completion_tokens});
      onResponse?.(index, body);
    }
  };
  await Promise.all(Array.from({length: concurrency}, client));
  return results;
}

/** A response body without what differs between two runs of one request: ids, times, timings, cache hits. */
export function comparableBody(body: Record<string, unknown>): string {
  const {id: _id, created: _created, timings: _timings, ...rest} = body;
  const usage = rest.usage as Record<string, unknown>;
  return JSON.stringify({...rest, usage: {...usage, prompt_tokens_details: undefined}});
}
