/**
 * The official openai SDK against the real server on the tiny synthetic model: JSON and streamed chat
 * completions, usage, stop, max_tokens, seeds, and text completions.
 */
import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startSyntheticServer, type SyntheticServer} from "../utils/syntheticServer.ts";

let server: SyntheticServer;
let client: OpenAI;
const messages = [{role: "system", content: "You are terse."}, {role: "user", content: "Tell me a story about a fox."}] as const;

beforeAll(async () => {
  server = await startSyntheticServer({parallel: 2});
  client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0});
});

afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

describe("OpenAI SDK against inflight", () => {
  it("lists the served model", async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["tiny"]);
  });

  it("answers a non-streaming chat completion with usage", async () => {
    const completion = await client.chat.completions.create({model: "tiny", messages: [...messages], max_tokens: 12, seed: 3, temperature: 0.8, ignore_eos: true} as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]!.message.role).toBe("assistant");
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect(completion.usage).toMatchObject({completion_tokens: 12});
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(10);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + 12);
  });

  it("streams role, content deltas, finish reason and usage, matching the non-streamed text", async () => {
    const params = {model: "tiny", messages: [...messages], max_tokens: 16, seed: 11, temperature: 0.9, ignore_eos: true};
    const whole = await client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const stream = await client.chat.completions.create({...params, stream: true, stream_options: {include_usage: true}} as OpenAI.ChatCompletionCreateParamsStreaming);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const contentChunks = chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? "").length > 0);
    const finishChunks = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(finishChunks).toHaveLength(1);
    expect(finishChunks[0]!.choices[0]!.finish_reason).toBe("length");
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({completion_tokens: 16, prompt_tokens: whole.usage!.prompt_tokens});
    // Each content chunk carries at least one token; bytes of one character may share a chunk.
    expect(contentChunks.length).toBeGreaterThan(0);
    expect(contentChunks.length).toBeLessThanOrEqual(usageChunk.usage!.completion_tokens);
    expect(contentChunks.map((chunk) => chunk.choices[0]!.delta.content).join("")).toBe(whole.choices[0]!.message.content);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it("sends no usage chunk without include_usage", async () => {
    const stream = await client.chat.completions.create({model: "tiny", messages: [...messages], max_tokens: 4, stream: true});
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.choices.length === 1 && chunk.usage === undefined)).toBe(true);
  });

  it("honours max_tokens with finish_reason length", async () => {
    const completion = await client.chat.completions.create({model: "tiny", messages: [...messages], max_completion_tokens: 3, ignore_eos: true} as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect(completion.usage!.completion_tokens).toBe(3);
  });

  it("honours stop: the output ends before the stop string, with finish_reason stop", async () => {
    const params = {model: "tiny", messages: [...messages], max_tokens: 24, seed: 5, temperature: 0, ignore_eos: true};
    const reference = (await client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsNonStreaming)).choices[0]!.message.content!;
    const stop = reference.slice(Math.floor(reference.length / 2), Math.floor(reference.length / 2) + 3);
    const stopped = await client.chat.completions.create({...params, stop: [stop]} as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(stopped.choices[0]!.finish_reason).toBe("stop");
    expect(stopped.choices[0]!.message.content).toBe(reference.slice(0, reference.indexOf(stop)));
    expect(stopped.choices[0]!.message.content).not.toContain(stop);
  });

  it("gives the same text for the same seed and temperature, other text for another seed", async () => {
    const params = {model: "tiny", messages: [...messages], max_tokens: 12, temperature: 1, ignore_eos: true};
    const create = (seed: number) => client.chat.completions.create({...params, seed} as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const [a, b, c] = await Promise.all([create(1234), create(1234), create(99)]);
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(a.choices[0]!.message.content).not.toBe(c.choices[0]!.message.content);
  });

  it("serves text completions, streamed and not", async () => {
    const whole = await client.completions.create({model: "tiny", prompt: "Once upon a time", max_tokens: 8, seed: 2, ignore_eos: true} as OpenAI.CompletionCreateParamsNonStreaming);
    expect(whole.object).toBe("text_completion");
    expect(whole.usage).toMatchObject({prompt_tokens: 4, completion_tokens: 8});
    const stream = await client.completions.create({model: "tiny", prompt: "Once upon a time", max_tokens: 8, seed: 2, stream: true, ignore_eos: true} as OpenAI.CompletionCreateParamsStreaming);
    let text = "";
    let finishReason: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
    }
    expect(text).toBe(whole.choices[0]!.text);
    expect(finishReason).toBe("length");
  });
});
