/**
 * Request fields shared by `/v1/chat/completions` and `/v1/completions`: sampling, limits, stops and
 * streaming options, with OpenAI's ranges (and the vLLM/llama-server extensions users send:
 * top_k, min_p, ignore_eos, priority). Unknown fields are dropped, as vLLM does.
 */
import {z} from "zod";

export const MAX_STOP_SEQUENCES = 16;

export const generationFields = {
  model: z.string().min(1).optional(),
  stream: z.boolean().nullish(),
  stream_options: z.object({include_usage: z.boolean().nullish()}).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(-1).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().min(0).max(0xffffffff).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(MAX_STOP_SEQUENCES)]).nullish(),
  n: z.literal(1, {message: "only n = 1 is supported"}).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  ignore_eos: z.boolean().nullish(),
  priority: z.number().int().nullish(),
  user: z.string().nullish()
};

const generationObject = z.object(generationFields);
export type GenerationFields = z.infer<typeof generationObject>;
