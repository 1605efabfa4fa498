/**
 * Validates a JSON body against a zod schema, turning the first problem into a 400 that names the
 * field (OpenAI's `param`). A body that is not a JSON object at all gets the same treatment.
 */
import type {z} from "zod";
import {ApiError, fromZodError} from "../errors.ts";

export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.infer<Schema> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ApiError(400, "the request body must be a JSON object", "invalid_request_error", null, "invalid_body");
  const result = schema.safeParse(body);
  if (!result.success) throw fromZodError(result.error);
  return result.data;
}
