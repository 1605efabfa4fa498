/**
 * OpenAI's Batches API: `POST /v1/batches` (an uploaded file of purpose "batch", an endpoint, the
 * "24h" window, metadata), `GET /v1/batches/:id`, `GET /v1/batches` (newest first, `after` and
 * `limit`), `POST /v1/batches/:id/cancel`. A new batch is `validating`; the service validates and runs
 * it. Bodies are checked like completion bodies: the first problem is a 400 naming the field.
 */
import type {FastifyInstance} from "fastify";
import {z} from "zod";
import {ApiError} from "../../errors.ts";
import {parseBody} from "../../schemas/parseBody.ts";
import type {BatchService} from "../BatchService.ts";
import {batchObject, listPage} from "../openaiObjects.ts";
import {BATCH_ENDPOINTS} from "../types.ts";
import {parseQuery} from "./parseQuery.ts";

/** OpenAI's bounds on metadata: 16 pairs, keys of 64 characters, values of 512. */
const metadata = z.record(z.string().max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 16, {message: "metadata may have at most 16 keys"});

const createBody = z.object({
  input_file_id: z.string().min(1),
  endpoint: z.enum(BATCH_ENDPOINTS),
  completion_window: z.literal("24h"),
  metadata: metadata.nullish()
});

const listQuery = z.object({
  after: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20)
});

const notFound = (id: string): ApiError => new ApiError(404, `No such Batch object: ${id}`, "invalid_request_error", "id", "not_found");

export function registerBatchRoutes(app: FastifyInstance, service: BatchService): void {
  app.post("/v1/batches", async (request) => {
    const body = parseBody(createBody, request.body);
    const store = await service.store();
    const file = await store.files.get(body.input_file_id);
    if (file === null) throw new ApiError(404, `No such File object: ${body.input_file_id}`, "invalid_request_error", "input_file_id", "not_found");
    if (file.purpose !== "batch") throw new ApiError(400, `the file ${file.id} has purpose '${file.purpose}', not 'batch'`, "invalid_request_error", "input_file_id", "invalid_value");
    const batch = await store.batches.create({endpoint: body.endpoint, inputFileId: file.id, completionWindow: body.completion_window, metadata: body.metadata ?? null});
    service.poke();
    return batchObject(batch);
  });
  app.get("/v1/batches", async (request) => {
    const query = parseQuery(listQuery, request.query);
    const page = await (await service.store()).batches.list(query.after, query.limit);
    return listPage(page.batches, page.hasMore, batchObject);
  });
  app.get<{Params: {id: string}}>("/v1/batches/:id", async (request) => {
    const batch = await (await service.store()).batches.get(request.params.id);
    if (batch === null) throw notFound(request.params.id);
    return batchObject(batch);
  });
  app.post<{Params: {id: string}}>("/v1/batches/:id/cancel", async (request) => {
    const result = await (await service.store()).batches.cancel(request.params.id);
    if (result.kind === "missing") throw notFound(request.params.id);
    if (result.kind === "final" && result.batch.status !== "cancelled") {
      throw new ApiError(400, `the batch is ${result.batch.status} and cannot be cancelled`, "invalid_request_error", null, "invalid_state");
    }
    service.poke();
    return batchObject(result.batch);
  });
}
