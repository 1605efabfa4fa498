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

const textPart = z.object({type: z.literal("text"), text: z.string()});

const message = z.object({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(textPart).min(1).max(MAX_CONTENT_PARTS)]),
  name: z.string().max(MAX_NAME_CHARS).nullish()
});

type Message = z.infer<typeof message>;

/** Text of a message, whichever form its content came in. */
export function messageText(content: Message["content"]): string {
  return typeof content === "string" ? content : content.map((part) => part.text).join("");
}

function contentLength(content: Message["content"]): number {
  return typeof content === "string" ? content.length : content.reduce((total, part) => total + part.text.length, 0);
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
  top_logprobs: z.number().int().min(0).max(MAX_TOP_LOGPROBS).nullish()
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;
