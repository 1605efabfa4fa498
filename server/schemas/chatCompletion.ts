/**
 * The body of `POST /v1/chat/completions`. Message content may be a string or OpenAI's array of text
 * parts; other part types (images, audio) are refused with a clear error rather than ignored. The
 * size limits (`limits.ts`) are checked here, before any tokenizing: message and part counts, and the
 * prompt text of all messages together, reported at the message where the total goes over.
 */
import {z} from "zod";
import {MAX_CONTENT_PARTS, MAX_MESSAGES, MAX_NAME_CHARS, MAX_PROMPT_CHARS} from "./limits.ts";
import {MAX_TOP_LOGPROBS} from "../../engine/types.ts";
import {responseFormat} from "./responseFormat.ts";
import {generationFields} from "./sampling.ts";
import {toolCallSchema, toolFields} from "./tools.ts";

const textPart = z.object({type: z.literal("text"), text: z.string()});

const content = z.union([z.string(), z.array(textPart).min(1).max(MAX_CONTENT_PARTS)]);

const message = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  /** Null only for an assistant turn that calls tools. */
  content: content.nullish(),
  name: z.string().max(MAX_NAME_CHARS).nullish(),
  tool_calls: z.array(toolCallSchema).max(128).nullish(),
  tool_call_id: z.string().min(1).max(MAX_NAME_CHARS).nullish()
}).superRefine((item, context) => {
  const hasCalls = (item.tool_calls?.length ?? 0) > 0;
  if (item.content == null && !(item.role === "assistant" && hasCalls)) {
    context.addIssue({code: "custom", path: ["content"], message: "Invalid input: expected string or array of text parts"});
  }
  if (hasCalls && item.role !== "assistant") context.addIssue({code: "custom", path: ["tool_calls"], message: "only assistant messages carry tool_calls"});
  if (item.role === "tool" && item.tool_call_id == null) context.addIssue({code: "custom", path: ["tool_call_id"], message: "a tool message needs the tool_call_id it answers"});
});

type Content = z.infer<typeof content>;

/** Text of a message, whichever form its content came in; null for an assistant turn that only called tools. */
export function messageText(value: Content | null | undefined): string | null {
  if (value == null) return null;
  return typeof value === "string" ? value : value.map((part) => part.text).join("");
}

function contentLength(value: Content | null | undefined): number {
  if (value == null) return 0;
  return typeof value === "string" ? value.length : value.reduce((total, part) => total + part.text.length, 0);
}

const messages = z.array(message)
  .min(1, {message: "messages must contain at least one message"})
  .max(MAX_MESSAGES, {message: `messages may contain at most ${MAX_MESSAGES} messages`})
  .superRefine((list, context) => {
    let total = 0;
    for (const [index, item] of list.entries()) {
      total += contentLength(item.content);
      if (total > MAX_PROMPT_CHARS) {
        context.addIssue({code: "custom", path: [index, "content"], message: `the messages' text may have at most ${MAX_PROMPT_CHARS} characters in all`});
        return;
      }
    }
  });

export const chatCompletionBody = z.object({
  ...generationFields,
  messages,
  max_completion_tokens: z.number().int().min(1).nullish(),
  response_format: responseFormat.nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(MAX_TOP_LOGPROBS).nullish(),
  ...toolFields
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;
