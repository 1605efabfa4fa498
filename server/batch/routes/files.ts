/**
 * OpenAI's Files API for batch input: `POST /v1/files` (multipart: `purpose` "batch" and `file`),
 * `GET /v1/files`, `GET /v1/files/:id`, `GET /v1/files/:id/content`, `DELETE /v1/files/:id`. An upload
 * is streamed into the store and bounded in size (413 past it); the number of uploaded files is
 * bounded too (a batch's output files do not count). Registered in its own scope, so the multipart
 * parser exists only here.
 */
import {Readable} from "node:stream";
import multipart from "@fastify/multipart";
import type {FastifyInstance, FastifyRequest} from "fastify";
import {z} from "zod";
import {ApiError} from "../../errors.ts";
import type {BatchService} from "../BatchService.ts";
import {fileObject, listPage} from "../openaiObjects.ts";
import {parseQuery} from "./parseQuery.ts";

export interface FileLimits {
  /** `--max-file-mb`, in bytes. */
  readonly maxFileBytes: number;
  /** `--max-files`: uploaded files kept at once. */
  readonly maxFiles: number;
}

const listQuery = z.object({
  purpose: z.string().optional(),
  after: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  order: z.enum(["asc", "desc"]).default("desc")
});

const notFound = (id: string): ApiError => new ApiError(404, `No such File object: ${id}`, "invalid_request_error", "id", "not_found");

/** The upload's parts: `purpose` and `file`, in either order. The file is written as it arrives. */
async function receiveUpload(request: FastifyRequest, service: BatchService, limits: FileLimits) {
  const {files} = await service.store();
  if (await files.count() >= limits.maxFiles) {
    throw new ApiError(400, `the server keeps at most ${limits.maxFiles} uploaded files: delete some first`, "invalid_request_error", "file", "too_many_files");
  }
  let purpose: unknown;
  let stored = null;
  for await (const part of request.parts({limits: {fileSize: limits.maxFileBytes, files: 1, fields: 8}})) {
    if (part.type === "field") {
      if (part.fieldname === "purpose") purpose = part.value;
      continue;
    }
    if (part.fieldname !== "file") throw new ApiError(400, `unexpected file field '${part.fieldname}'`, "invalid_request_error", part.fieldname, "invalid_value");
    const upload = part.file;
    const guarded = async function* () {
      for await (const chunk of upload) yield chunk as Buffer;
      if (upload.truncated) throw new ApiError(413, `the file is larger than ${limits.maxFileBytes} bytes (--max-file-mb)`, "invalid_request_error", "file", "file_too_large");
    };
    stored = await files.create(part.filename || "upload.jsonl", "batch", guarded());
  }
  return {purpose, stored};
}

export function registerFileRoutes(app: FastifyInstance, service: BatchService, limits: FileLimits): void {
  void app.register(async (scope) => {
    await scope.register(multipart);
    scope.post("/v1/files", async (request, reply) => {
      if (!request.isMultipart()) throw new ApiError(400, "upload the file as multipart/form-data with fields 'purpose' and 'file'", "invalid_request_error", null, "invalid_value");
      const {purpose, stored} = await receiveUpload(request, service, limits);
      if (stored === null) throw new ApiError(400, "the 'file' field is missing", "invalid_request_error", "file", "invalid_value");
      if (purpose !== "batch") {
        await (await service.store()).files.delete(stored.id);
        throw new ApiError(400, `purpose must be 'batch', got ${JSON.stringify(purpose ?? null)}`, "invalid_request_error", "purpose", "invalid_value");
      }
      return reply.send(fileObject(stored));
    });
  });
  app.get("/v1/files", async (request) => {
    const query = parseQuery(listQuery, request.query);
    const {files} = await service.store();
    const page = await files.list(query);
    return listPage(page.files, page.hasMore, fileObject);
  });
  app.get<{Params: {id: string}}>("/v1/files/:id", async (request) => {
    const file = await (await service.store()).files.get(request.params.id);
    if (file === null) throw notFound(request.params.id);
    return fileObject(file);
  });
  app.get<{Params: {id: string}}>("/v1/files/:id/content", async (request, reply) => {
    const {files} = await service.store();
    const file = await files.get(request.params.id);
    if (file === null) throw notFound(request.params.id);
    return reply.type("application/octet-stream").header("content-length", file.bytes).send(Readable.from(files.content(file.id)));
  });
  app.delete<{Params: {id: string}}>("/v1/files/:id", async (request) => {
    const isDeleted = await (await service.store()).files.delete(request.params.id);
    if (!isDeleted) throw notFound(request.params.id);
    return {id: request.params.id, object: "file", deleted: true};
  });
}
