/**
 * Several choices per request (`n`) on the tiny synthetic model: choice i samples with seed + i (so
 * it equals a single request with that seed) and is reproducible; the prompt is counted once in
 * `usage` and computed once (the step records: the other choices start from a copy of the first
 * one's prompt and feed one token); streamed choices each end with their own finish chunk, with one
 * usage chunk for all; each choice keeps its own grammar; more choices than sequences is a 400.
 */
import {describe, expect, it} from "vitest";
import {syntheticServerPerSuite} from "../utils/syntheticServer.ts";

const suite = syntheticServerPerSuite({parallel: 4, ctxSize: 512});

const messages = [{role: "user" as const, content: "Write three different openings of a story about a fox."}];

describe("n choices", () => {
  it("gives n reproducible choices, choice i as a single request with seed + i, the prompt counted once", async () => {
    const params = {model: "tiny", messages, max_tokens: 12, temperature: 1, seed: 7};
    const many = await suite.client.chat.completions.create({...params, n: 3});
    const again = await suite.client.chat.completions.create({...params, n: 3});
    expect(many.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(again.choices.map((choice) => choice.message.content)).toEqual(many.choices.map((choice) => choice.message.content));
    const singles = await Promise.all([7, 8, 9].map((seed) => suite.client.chat.completions.create({...params, seed})));
    expect(many.choices.map((choice) => choice.message.content)).toEqual(singles.map((single) => single.choices[0]!.message.content));
    expect(new Set(many.choices.map((choice) => choice.message.content)).size).toBe(3);
    expect(many.usage!.prompt_tokens).toBe(singles[0]!.usage!.prompt_tokens);
    expect(many.usage!.completion_tokens).toBe(singles.reduce((sum, single) => sum + single.usage!.completion_tokens, 0));
  });

  it("computes the prompt once: the other choices start from a copy and feed one token", async () => {
    const prompt = "Once upon a time, in a forest by a river, there lived a fox who loved stories.";
    const first = suite.server.steps.length;
    const completion = await suite.client.completions.create({model: "tiny", prompt, max_tokens: 4, temperature: 1, seed: 3, n: 4});
    const entries = suite.server.steps.slice(first).flatMap((step) => step.entries);
    const firstSteps = new Map<string, number>();
    for (const entry of entries) if (!firstSteps.has(entry.requestId)) firstSteps.set(entry.requestId, entry.numTokens);
    expect([...firstSteps.values()].sort((a, b) => b - a)).toEqual([completion.usage!.prompt_tokens, 1, 1, 1]);
    expect(entries.reduce((sum, entry) => sum + (entry.isSampling ? 0 : entry.numTokens), 0)).toBe(0);
  });

  it("streams each choice with its own finish chunk and one usage chunk", async () => {
    const stream = await suite.client.chat.completions.create({
      model: "tiny", messages, max_tokens: 8, temperature: 1, seed: 11, n: 2, stream: true, stream_options: {include_usage: true}
    });
    const contents = ["", ""];
    const finishes: (string | null)[] = [];
    let numUsageChunks = 0;
    for await (const chunk of stream) {
      if (chunk.usage) numUsageChunks++;
      for (const choice of chunk.choices) {
        contents[choice.index] += choice.delta.content ?? "";
        if (choice.finish_reason) finishes[choice.index] = choice.finish_reason;
      }
    }
    const whole = await suite.client.chat.completions.create({model: "tiny", messages, max_tokens: 8, temperature: 1, seed: 11, n: 2});
    expect(contents).toEqual(whole.choices.map((choice) => choice.message.content));
    expect(finishes).toEqual(["length", "length"]);
    expect(numUsageChunks).toBe(1);
  });

  it("keeps a grammar per choice", async () => {
    const completion = await suite.client.chat.completions.create({
      model: "tiny", messages, max_tokens: 40, temperature: 1, seed: 5, n: 3,
      response_format: {type: "json_schema", json_schema: {name: "x", strict: true, schema: {
        type: "object", properties: {mood: {enum: ["calm", "busy"]}, n: {type: "integer", minimum: 0, maximum: 9}}, required: ["mood", "n"], additionalProperties: false
      }}}
    });
    for (const choice of completion.choices) {
      expect(choice.finish_reason).toBe("stop");
      expect(JSON.parse(choice.message.content!)).toEqual({mood: expect.stringMatching(/^(calm|busy)$/), n: expect.any(Number)});
    }
  });

  it("refuses more choices than the model's sequences", async () => {
    const call = suite.client.chat.completions.create({model: "tiny", messages, max_tokens: 2, n: 5});
    await expect(call).rejects.toMatchObject({status: 400, param: "n"});
  });
});
