/**
 * The Files API: upload, list (pages, purpose, order), get, content, delete; uploads bounded in size
 * and count; errors in OpenAI's shape; API keys guard it like the rest of /v1.
 */
import {describe, expect, it} from "vitest";
import {perSuite} from "../utils/perSuite.ts";
import {startBatchApp} from "./batchApp.ts";
import {BatchClient} from "./batchClient.ts";

const MAX_FILE_BYTES = 4096;
const MAX_FILES = 3;

describe("files", () => {
  const server = perSuite(() => startBatchApp({maxFileBytes: MAX_FILE_BYTES, maxFiles: MAX_FILES, app: {apiKeys: {keys: ["secret"], isObservabilityProtected: false}}}));
  const client = (): BatchClient => new BatchClient(server().url, {authorization: "Bearer secret"});

  it("refuses every route without the API key", async () => {
    const anonymous = new BatchClient(server().url);
    for (const [method, path] of [["GET", "/v1/files"], ["GET", "/v1/batches"], ["POST", "/v1/batches"], ["GET", "/v1/files/file-x/content"]] as const) {
      const response = await anonymous.request(method, path, method === "POST" ? {} : undefined);
      expect(response.status).toBe(401);
      expect(((await response.json()) as {error: {code: string}}).error.code).toBe("invalid_api_key");
    }
    expect((await anonymous.upload("{}\n")).status).toBe(401);
  });

  it("stores, lists, serves and deletes a file", async () => {
    const content = '{"custom_id":"a"}\n{"custom_id":"b"}\n';
    const response = await client().upload(content, {filename: "mine.jsonl"});
    expect(response.status).toBe(200);
    const file = (await response.json()) as {id: string; bytes: number; filename: string; purpose: string; object: string};
    expect(file).toMatchObject({object: "file", bytes: Buffer.byteLength(content), filename: "mine.jsonl", purpose: "batch", status: "processed"});
    expect(await client().json("GET", `/v1/files/${file.id}`)).toEqual(file);
    expect(await client().fileText(file.id)).toBe(content);
    const second = await client().uploadFileId("{}\n");
    const page = await client().json<{data: {id: string}[]; has_more: boolean; first_id: string; last_id: string}>("GET", "/v1/files?limit=1");
    expect(page).toMatchObject({has_more: true, first_id: second, last_id: second});
    const ascending = await client().json<{data: {id: string}[]}>("GET", "/v1/files?order=asc&purpose=batch");
    expect(ascending.data.map((item) => item.id)).toEqual([file.id, second]);
    expect(await client().json("DELETE", `/v1/files/${file.id}`)).toEqual({id: file.id, object: "file", deleted: true});
    expect(await client().json("DELETE", `/v1/files/${second}`)).toMatchObject({deleted: true});
    const gone = await client().request("GET", `/v1/files/${file.id}/content`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({error: {type: "invalid_request_error", code: "not_found"}});
  });

  it("refuses a file over the size limit, a wrong purpose and a bad listing, keeping nothing", async () => {
    const tooLarge = await client().upload("x".repeat(MAX_FILE_BYTES + 1));
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as {error: unknown}).error).toBeDefined();
    const wrongPurpose = await client().upload("{}\n", {purpose: "fine-tune"});
    expect(wrongPurpose.status).toBe(400);
    expect(await wrongPurpose.json()).toMatchObject({error: {param: "purpose", code: "invalid_value"}});
    const badLimit = await client().request("GET", "/v1/files?limit=0");
    expect(badLimit.status).toBe(400);
    expect(await badLimit.json()).toMatchObject({error: {param: "limit"}});
    const notMultipart = await client().request("POST", "/v1/files", {purpose: "batch"});
    expect(notMultipart.status).toBe(400);
    expect((await client().json<{data: unknown[]}>("GET", "/v1/files")).data).toEqual([]);
  });

  it("keeps at most --max-files uploads", async () => {
    const ids = [];
    for (let index = 0; index < MAX_FILES; index++) ids.push(await client().uploadFileId(`{"n":${index}}\n`));
    const refused = await client().upload("{}\n");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({error: {code: "too_many_files"}});
    for (const id of ids) await client().json("DELETE", `/v1/files/${id}`);
  });

  it("refuses batches over unknown files and bad bodies, naming the field", async () => {
    const unknown = await client().request("POST", "/v1/batches", {input_file_id: "file-nope", endpoint: "/v1/chat/completions", completion_window: "24h"});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({error: {param: "input_file_id", code: "not_found"}});
    const badWindow = await client().request("POST", "/v1/batches", {input_file_id: "file-nope", endpoint: "/v1/chat/completions", completion_window: "1h"});
    expect(badWindow.status).toBe(400);
    expect(await badWindow.json()).toMatchObject({error: {param: "completion_window"}});
    const badEndpoint = await client().request("POST", "/v1/batches", {input_file_id: "x", endpoint: "/v1/embeddings", completion_window: "24h"});
    expect(await badEndpoint.json()).toMatchObject({error: {param: "endpoint"}});
    expect((await client().request("GET", "/v1/batches/batch_nope")).status).toBe(404);
    expect((await client().request("POST", "/v1/batches/batch_nope/cancel")).status).toBe(404);
  });
});
