/**
 * `response_format` of a chat completion, in OpenAI's shapes: free text, one JSON object, or JSON
 * matching a schema (`json_schema.name` as OpenAI restricts it). The schema itself is checked when it
 * is turned into a grammar (`completion/constraint.ts`), which names the JSON pointer at fault.
 */
import {z} from "zod";

const jsonSchemaFormat = z.object({
  name: z.string().regex(/^[\w-]{1,64}$/, {message: "name must be 1-64 letters, digits, '_' or '-'"}),
  description: z.string().nullish(),
  /** A JSON Schema; left out, any JSON value. */
  schema: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish()
});

export const responseFormat = z.discriminatedUnion("type", [
  z.object({type: z.literal("text")}),
  z.object({type: z.literal("json_object")}),
  z.object({type: z.literal("json_schema"), json_schema: jsonSchemaFormat})
]);

export type ResponseFormat = z.infer<typeof responseFormat>;
