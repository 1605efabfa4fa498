/**
 * The body of `POST /v1/completions`: a prompt string (or a one-element array of strings, which the
 * OpenAI SDK sends too), at most `MAX_PROMPT_CHARS` long; batches of prompts are refused.
 */
import {z} from "zod";
import {MAX_TOP_LOGPROBS} from "../../engine/types.ts";
import {MAX_PROMPT_CHARS} from "./limits.ts";
import {generationFields} from "./sampling.ts";

const promptText = z.string()
  .min(1, {message: "prompt must not be empty"})
  .max(MAX_PROMPT_CHARS, {message: `prompt may have at most ${MAX_PROMPT_CHARS} characters`});

export const completionBody = z.object({
  ...generationFields,
  prompt: z.union([
    promptText,
    z.array(promptText).length(1, {message: "only one prompt per request is supported"})
  ]),
  echo: z.boolean().nullish(),
  /** With `echo`, 0 scores the prompt without generating (how evaluation harnesses score a text). */
  max_tokens: z.number().int().min(0).nullish(),
  /** The legacy shape: the sampled token's log-probability and this many alternatives. */
  logprobs: z.number().int().min(0).max(MAX_TOP_LOGPROBS).nullish()
});

export type CompletionBody = z.infer<typeof completionBody>;
