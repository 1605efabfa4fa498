/**
 * Structured outputs through the official SDK against the random-weight tiny model, where only the
 * grammar can make the output well-formed: `chat.completions.parse()` with zod schemas (v4 and v3:
 * nullable, optional, enum, nested objects, arrays, a shared sub-schema, a recursive type) over many
 * seeds at a high temperature either parses and validates, or ends with `finish_reason: "length"`
 * (which the SDK raises as LengthFinishReasonError); `json_object` output is always one JSON object,
 * or its prefix when cut at max_tokens (llama.cpp's grammar engine checks the text); no output
 * carries a whitespace tail; a schema the grammar cannot enforce under strict is a 400 naming its
 * pointer; the log line and `timings` say the output was constrained.
 */
import OpenAI from "openai";
import {LengthFinishReasonError} from "openai/error";
import {zodResponseFormat} from "openai/helpers/zod";
import {describe, expect, it} from "vitest";
import {z} from "zod";
import {z as z3} from "zod/v3";
import {JSON_OBJECT_GRAMMAR} from "../../engine/structured/index.ts";
import {syntheticServerPerSuite} from "../utils/syntheticServer.ts";
import {GrammarHarness} from "../engine/structured/grammarHarness.ts";

const NUM_SEEDS = 50;
const TEMPERATURE = 1.2;

const suite = syntheticServerPerSuite({parallel: 4, ctxSize: 512});

// Short strings keep a random model's outputs short enough to complete often; the rest is free.
const tagV4 = z.object({label: z.string().max(6), weight: z.number().int().min(0).max(99)});
type TreeV4 = {name: string; children: TreeV4[]};
const treeV4: z.ZodType<TreeV4> = z.lazy(() => z.object({name: z.string().max(4), children: z.array(treeV4).max(2)}));
const profileV4 = z.object({
  name: z.string().max(8),
  nickname: z.string().max(6).nullable(),
  age: z.number().int().min(0).max(120).optional().nullable(),
  mood: z.enum(["calm", "busy", "happy"]),
  home: z.object({city: z.string().max(8), zip: z.string().max(5)}),
  primary: tagV4,
  tags: z.array(tagV4).max(2),
  tree: treeV4
});

const tagV3 = z3.object({label: z3.string().max(6), weight: z3.number().int().min(0).max(99)});
const profileV3 = z3.object({
  name: z3.string().max(8),
  nickname: z3.string().max(6).nullable(),
  score: z3.number().optional().nullable(),
  mood: z3.enum(["calm", "busy", "happy"]),
  home: z3.object({city: z3.string().max(8)}),
  primary: tagV3,
  tags: z3.array(tagV3).max(2)
});

interface Tally {
  parsed: number;
  truncated: number;
}

/** Runs every seed to its end before judging, so one failure leaves no request behind in the queue. */
async function everySeed<T>(run: (seed: number) => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(Array.from({length: NUM_SEEDS}, (_, seed) => run(seed)));
  const failure = settled.find((result) => result.status === "rejected");
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

async function parseOverSeeds(responseFormat: ReturnType<typeof zodResponseFormat>): Promise<Tally> {
  const outcomes = await everySeed(async (seed) => {
    try {
      const completion = await suite.client.chat.completions.parse({
        model: "tiny", messages: [{role: "user", content: "Describe someone as JSON."}], response_format: responseFormat,
        temperature: TEMPERATURE, seed, max_tokens: 160
      });
      const message = completion.choices[0]!.message;
      expect(message.parsed).not.toBeNull();
      expect(message.content).toBe(message.content!.trim());
      return "parsed" as const;
    } catch (error) {
      if (!(error instanceof LengthFinishReasonError)) throw error;
      return "truncated" as const;
    }
  });
  return {parsed: outcomes.filter((outcome) => outcome === "parsed").length, truncated: outcomes.filter((outcome) => outcome === "truncated").length};
}

describe("structured outputs", () => {
  it("parses and validates with zod v4 on every seed that finished", async () => {
    const tally = await parseOverSeeds(zodResponseFormat(profileV4, "profile"));
    expect(tally.parsed + tally.truncated).toBe(NUM_SEEDS);
    expect(tally.parsed).toBeGreaterThan(0);
  }, 300_000);

  it("parses and validates with zod v3 on every seed that finished", async () => {
    const tally = await parseOverSeeds(zodResponseFormat(profileV3 as never, "profile_v3"));
    expect(tally.parsed + tally.truncated).toBe(NUM_SEEDS);
    expect(tally.parsed).toBeGreaterThan(0);
  }, 300_000);

  it("keeps json_object output one JSON object on every seed: complete when it stopped, a prefix of one when cut", async () => {
    const harness = await GrammarHarness.load();
    const finishReasons = await everySeed(async (seed) => {
      const completion = await suite.client.chat.completions.create({
        model: "tiny", messages: [{role: "user", content: "Reply in JSON."}], response_format: {type: "json_object"},
        temperature: TEMPERATURE, seed, max_tokens: 64
      });
      const choice = completion.choices[0]!;
      const content = choice.message.content!;
      expect((completion as unknown as {timings: {constrained?: boolean}}).timings.constrained).toBe(true);
      expect(content.startsWith("{")).toBe(true);
      // llama.cpp's own grammar engine: the text so far is a prefix of a sentence of the grammar.
      expect((await harness.walk(JSON_OBJECT_GRAMMAR, content)).accepted, content).toBe(true);
      if (choice.finish_reason === "stop") {
        const value: unknown = JSON.parse(content);
        expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
        expect(content).toBe(content.trim());
      }
      return choice.finish_reason;
    });
    await harness.dispose();
    expect(finishReasons.every((reason) => reason === "stop" || reason === "length")).toBe(true);
  }, 300_000);

  it("refuses a schema keyword it cannot enforce under strict, naming its pointer", async () => {
    const call = suite.client.chat.completions.create({
      model: "tiny", messages: [{role: "user", content: "x"}], max_tokens: 4,
      response_format: {type: "json_schema", json_schema: {name: "odd", strict: true, schema: {type: "object", properties: {n: {type: "number", multipleOf: 3}}, required: ["n"], additionalProperties: false}}}
    });
    await expect(call).rejects.toMatchObject({status: 400, param: "response_format.json_schema.schema", message: expect.stringContaining("#/properties/n/multipleOf")});
    const lenient = await suite.client.chat.completions.create({
      model: "tiny", messages: [{role: "user", content: "x"}], max_tokens: 4,
      response_format: {type: "json_schema", json_schema: {name: "odd", schema: {type: "object", properties: {n: {type: "number", multipleOf: 3}}, required: ["n"], additionalProperties: false}}}
    });
    expect(lenient.choices[0]!.message.content).toMatch(/^\{/);
  });

  it("refuses ignore_eos with a response format", async () => {
    const call = suite.client.chat.completions.create({
      model: "tiny", messages: [{role: "user", content: "x"}], max_tokens: 4, response_format: {type: "json_object"}, ignore_eos: true
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await expect(call).rejects.toMatchObject({status: 400, param: "ignore_eos"});
  });
});
