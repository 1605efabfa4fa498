/**
 * OpenAI's tool fields of a chat completion: `tools` (functions with a name, a description, a JSON
 * Schema of their parameters and `strict`), `tool_choice` (none, auto, required, or one named
 * function) and `parallel_tool_calls`, and the tool calls an assistant message may carry in the
 * history. Custom tools and `allowed_tools` are refused by the schema: the server cannot honour them.
 */
import {z} from "zod";
import {MAX_NAME_CHARS} from "./limits.ts";

/** OpenAI's rule for function names. */
const functionName = z.string().regex(/^[\w-]{1,64}$/, {message: "function names are 1-64 letters, digits, '_' or '-'"});

export const toolSchema = z.object({
  type: z.literal("function", {message: "only function tools are supported"}),
  function: z.object({
    name: functionName,
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish()
  })
});

export const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({type: z.literal("function"), function: z.object({name: functionName})})
], {message: "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\"}}"});

export const toolCallSchema = z.object({
  id: z.string().min(1).max(MAX_NAME_CHARS),
  type: z.literal("function"),
  function: z.object({name: z.string().min(1).max(MAX_NAME_CHARS), arguments: z.string()})
});

/** The fields spread into the chat body. */
export const toolFields = {
  tools: z.array(toolSchema).max(128).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish()
};

export type ToolSchema = z.infer<typeof toolSchema>;
export type ToolChoice = z.infer<typeof toolChoiceSchema>;
