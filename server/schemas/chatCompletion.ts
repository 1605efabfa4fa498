/**
 * The body of `POST /v1/chat/completions`. Message content may be a string or OpenAI's array of text
 * parts; other part types (images, audio) are refused with a clear error rather than ignored.
 */
import {z} from "zod";
import {generationFields} from "./sampling.ts";

const textPart = z.object({type: z.literal("text"), text: z.string()});

const message = z.object({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(textPart).min(1)]),
  name: z.string().nullish()
});

export const chatCompletionBody = z.object({
  ...generationFields,
  messages: z.array(message).min(1, {message: "messages must contain at least one message"}),
  max_completion_tokens: z.number().int().min(1).nullish()
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

/** Text of a message, whichever form its content came in. */
export function messageText(content: ChatCompletionBody["messages"][number]["content"]): string {
  return typeof content === "string" ? content : content.map((part) => part.text).join("");
}
