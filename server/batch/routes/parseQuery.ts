/** A query string through a zod schema; the first problem is a 400 naming the parameter. */
import type {z} from "zod";
import {fromZodError} from "../../errors.ts";

export function parseQuery<Schema extends z.ZodType>(schema: Schema, query: unknown): z.infer<Schema> {
  const result = schema.safeParse(query ?? {});
  if (!result.success) throw fromZodError(result.error);
  return result.data;
}
