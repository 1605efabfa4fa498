/**
 * The body of `POST /v1/completions`: a prompt string (or a one-element array of strings, which the
 * OpenAI SDK sends too); batches of prompts are refused.
 */
import {z} from "zod";
import {generationFields} from "./sampling.ts";

export const completionBody = z.object({
  ...generationFields,
  prompt: z.union([
    z.string().min(1, {message: "prompt must not be empty"}),
    z.array(z.string().min(1)).length(1, {message: "only one prompt per request is supported"})
  ]),
  echo: z.boolean().nullish()
});

export type CompletionBody = z.infer<typeof completionBody>;
