/**
 * Generation under the grammar: the tiny random-weight synthetic model samples at temperature 1.5
 * with the grammar attached through node-llama-cpp's own sampler, for several seeds. Whenever it
 * reaches end-of-generation the text parses and validates against the schema (ajv) with nothing
 * after the value; when it runs out of tokens first, the text is still a prefix the grammar allows.
 * Only the bounded schema, whose every value is short, must finish within the token budget.
 */
import {type LlamaContext, type LlamaContextSequence, LlamaGrammarEvaluationState, type Token} from "node-llama-cpp";
import {zodResponseFormat} from "openai/helpers/zod";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {z} from "zod";
import {JSON_OBJECT_GRAMMAR, jsonSchemaToGbnf} from "../../../engine/structured/index.ts";
import {GrammarHarness} from "./grammarHarness.ts";
import {compileValidator} from "./schemaValidator.ts";

const MAX_TOKENS = 160;
const SEEDS = [1, 2, 3, 4, 5, 6];

const BOUNDED_SCHEMA = {
  type: "object",
  properties: {
    status: {enum: ["ok", "warn", "fail"]},
    count: {type: "integer", minimum: 0, maximum: 100},
    ok: {type: "boolean"},
    tags: {type: "array", items: {enum: ["a", "b", "c"]}, maxItems: 3},
    note: {type: ["string", "null"], maxLength: 6},
    when: {type: "string", format: "date"}
  },
  required: ["status", "count", "ok", "tags", "note", "when"],
  additionalProperties: false
};

let harness: GrammarHarness;
let context: LlamaContext;
let sequence: LlamaContextSequence;
beforeAll(async () => {
  harness = await GrammarHarness.load();
  context = await harness.model.createContext({contextSize: 512, sequences: 1, threads: 1});
  sequence = context.getSequence();
});
afterAll(async () => {
  await context?.dispose();
  await harness?.dispose();
});

interface Generation {
  readonly text: string;
  readonly finished: boolean;
}

async function generate(grammar: string, seed: number): Promise<Generation> {
  const grammarEvaluationState = new LlamaGrammarEvaluationState({model: harness.model, grammar: await harness.compile(grammar)});
  await sequence.clearHistory();
  const tokens: Token[] = [];
  let finished = false;
  for await (const token of sequence.evaluate(harness.model.tokenize("Answer in JSON:"), {temperature: 1.5, seed, grammarEvaluationState, yieldEogToken: true})) {
    if (harness.model.isEogToken(token)) {
      finished = true;
      break;
    }
    tokens.push(token);
    if (tokens.length >= MAX_TOKENS) break;
  }
  return {text: Buffer.concat(tokens.map((token) => harness.pieceBytes(token))).toString("utf8"), finished};
}

describe("sampling under a schema grammar", () => {
  it("yields schema-valid JSON with nothing after it whenever generation ends", async () => {
    const {grammar} = jsonSchemaToGbnf(BOUNDED_SCHEMA, {strict: true});
    const validate = compileValidator(BOUNDED_SCHEMA);
    let finished = 0;
    for (const seed of SEEDS) {
      const {text, finished: done} = await generate(grammar, seed);
      if (!done) {
        expect((await harness.walk(grammar, text)).accepted, text).toBe(true);
        continue;
      }
      finished++;
      expect(text, "no surrounding whitespace").toBe(text.trim());
      expect(validate(JSON.parse(text)), text).toBe(true);
    }
    // Every value this schema admits is short, so the model must finish within the token budget.
    expect(finished).toBe(SEEDS.length);
  });
});

describe("sampling under a zodResponseFormat grammar", () => {
  it("yields zod-valid JSON whenever generation ends, and a valid prefix otherwise", async () => {
    const Item = z.object({sku: z.string(), qty: z.number().int()});
    const Order = z.object({id: z.number().int(), status: z.enum(["new", "paid"]), note: z.string().nullable(), items: z.array(Item)});
    const schema = zodResponseFormat(Order, "order").json_schema.schema;
    const {grammar} = jsonSchemaToGbnf(schema, {strict: true});
    for (const seed of SEEDS) {
      const {text, finished} = await generate(grammar, seed);
      if (finished) expect(Order.safeParse(JSON.parse(text)).success, text).toBe(true);
      else expect((await harness.walk(grammar, text)).accepted, text).toBe(true);
    }
  });
});

describe("sampling under the json_object grammar", () => {
  it("yields one JSON object whenever generation ends, and a valid prefix otherwise", async () => {
    for (const seed of SEEDS) {
      const {text, finished} = await generate(JSON_OBJECT_GRAMMAR, seed);
      if (finished) {
        expect(text).toBe(text.trim());
        expect(JSON.parse(text)).toBeTypeOf("object");
        expect(Array.isArray(JSON.parse(text))).toBe(false);
      } else {
        expect((await harness.walk(JSON_OBJECT_GRAMMAR, text)).accepted, text).toBe(true);
      }
    }
  });
});
