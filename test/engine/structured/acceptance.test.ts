/**
 * Every case's grammar compiles with node-llama-cpp's parser, accepts the case's valid documents in
 * full (compact and pretty-printed) with nothing left but end-of-generation, and refuses its invalid
 * ones. ajv checks the case data against the schema first, so the expectations are not made up.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {jsonSchemaToGbnf} from "../../../engine/structured/index.ts";
import {GrammarHarness} from "./grammarHarness.ts";
import {OBJECT_CASES} from "./objectCases.ts";
import {type SchemaCase, spellings} from "./schemaCase.ts";
import {compileValidator} from "./schemaValidator.ts";
import {VALUE_CASES} from "./valueCases.ts";

let harness: GrammarHarness;
beforeAll(async () => {
  harness = await GrammarHarness.load();
});
afterAll(async () => harness?.dispose());

describe.each([...OBJECT_CASES, ...VALUE_CASES].map((schemaCase) => [schemaCase.name, schemaCase] as const))("%s", (_name, schemaCase: SchemaCase) => {
  let grammar: string;
  beforeAll(() => {
    grammar = jsonSchemaToGbnf(schemaCase.schema, {strict: true}).grammar;
  });

  it("converts under strict mode to a grammar that compiles", async () => {
    await expect(harness.compile(grammar)).resolves.toBeDefined();
  });

  it("accepts every valid document completely", async () => {
    const validate = compileValidator(schemaCase.schema);
    const texts = [...schemaCase.valid.flatMap(spellings), ...(schemaCase.validTexts ?? [])];
    for (const text of texts) {
      expect(validate(JSON.parse(text)), `ajv on ${text}`).toBe(true);
      expect(await harness.walk(grammar, text), text).toEqual({accepted: true, complete: true});
    }
  });

  it("refuses every invalid document", async () => {
    const validate = compileValidator(schemaCase.schema);
    for (const value of schemaCase.invalid ?? []) {
      const text = JSON.stringify(value);
      expect(validate(value), `ajv on ${text}`).toBe(false);
      expect(await harness.accepts(grammar, text), text).toBe(false);
    }
    for (const text of schemaCase.rejectedTexts ?? []) expect(await harness.accepts(grammar, text), text).toBe(false);
  });
});
