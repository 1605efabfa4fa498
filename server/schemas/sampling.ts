/**
 * Request fields shared by `/v1/chat/completions` and `/v1/completions`: sampling, limits, stops and
 * streaming options, with OpenAI's ranges (and the vLLM/llama-server extensions users send:
 * top_k, min_p, ignore_eos, priority, and `speculative`: false opts a request out of speculative
 * decoding) and the size limits of `limits.ts`. Unknown fields are dropped, as OpenAI and vLLM do; a
 * known field of the wrong type or out of range is a 400 naming it.
 */
import {z} from "zod";
import {MAX_N, MAX_NAME_CHARS, MAX_STOP_CHARS, MAX_STOP_SEQUENCES} from "./limits.ts";

export {MAX_STOP_SEQUENCES} from "./limits.ts";

const stopString = z.string().max(MAX_STOP_CHARS, {message: `a stop string may have at most ${MAX_STOP_CHARS} characters`});

export const generationFields = {
  model: z.string().min(1).max(MAX_NAME_CHARS).optional(),
  stream: z.boolean().nullish(),
  stream_options: z.object({include_usage: z.boolean().nullish()}).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(-1).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().min(0).max(0xffffffff).nullish(),
  stop: z.union([stopString, z.array(stopString).max(MAX_STOP_SEQUENCES, {message: `at most ${MAX_STOP_SEQUENCES} stop strings`})]).nullish(),
  /** Choices per request; at most the model's sequences, which the plan checks. */
  n: z.number().int().min(1).max(MAX_N).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  ignore_eos: z.boolean().nullish(),
  priority: z.number().int().nullish(),
  speculative: z.boolean().nullish(),
  user: z.string().max(MAX_NAME_CHARS).nullish()
};

const generationObject = z.object(generationFields);
export type GenerationFields = z.infer<typeof generationObject>;
