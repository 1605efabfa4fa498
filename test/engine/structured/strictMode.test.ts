/**
 * Strict versus lenient conversion: under strict an unsupported keyword is an error naming its JSON
 * pointer; without strict it is dropped, listed, and the rest still compiles and is enforced.
 * Annotations are ignored and broken schemas are errors in both modes.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {jsonSchemaToGbnf, SchemaConversionError} from "../../../engine/structured/index.ts";
import {GrammarHarness} from "./grammarHarness.ts";

const UNSUPPORTED: readonly {readonly schema: unknown; readonly pointer: string; readonly keyword: string}[] = [
  {schema: {type: "object", properties: {age: {type: "integer", multipleOf: 5}}}, pointer: "#/properties/age/multipleOf", keyword: "multipleOf"},
  {schema: {type: "string", not: {const: "x"}}, pointer: "#/not", keyword: "not"},
  {schema: {type: "string", format: "hostname"}, pointer: "#/format", keyword: "format"},
  {schema: {type: "string", pattern: "^(?=a)\\w+$"}, pointer: "#/pattern", keyword: "pattern"},
  {schema: {type: "array", items: {type: "integer"}, uniqueItems: true}, pointer: "#/uniqueItems", keyword: "uniqueItems"},
  {schema: {type: "object", patternProperties: {"^x": {type: "string"}}}, pointer: "#/patternProperties", keyword: "patternProperties"},
  {schema: {type: "object", properties: {a: {type: "string"}}, minProperties: 1}, pointer: "#/minProperties", keyword: "minProperties"},
  {schema: {type: "number", minimum: 0.5}, pointer: "#/minimum", keyword: "minimum"},
  {schema: {type: "string", maxLength: 5000}, pointer: "#/maxLength", keyword: "maxLength"},
  {schema: {type: "string", pattern: "^[a-z]+$", maxLength: 8}, pointer: "#/maxLength", keyword: "maxLength"},
  {schema: {$ref: "#/$defs/A", $defs: {A: {type: "string", format: "ipv4"}}}, pointer: "#/$defs/A/format", keyword: "format"},
  {schema: {allOf: [{type: "integer", multipleOf: 3}]}, pointer: "#/allOf/0/multipleOf", keyword: "multipleOf"},
  {schema: {anyOf: [{type: "string"}, {type: "number", multipleOf: 0.1}]}, pointer: "#/anyOf/1/multipleOf", keyword: "multipleOf"},
  {schema: {type: "object", properties: {"a/b~c": {type: "string", if: {minLength: 1}}}}, pointer: "#/properties/a~1b~0c/if", keyword: "if"},
  {schema: {allOf: [{type: "string", pattern: "^a"}, {pattern: "b$"}]}, pointer: "#/allOf/1/pattern", keyword: "pattern"}
];

const ANNOTATED = {
  $schema: "https://json-schema.org/draft/2020-12/schema", $id: "https://example.com/p", title: "P", description: "d", $comment: "c",
  type: "object",
  properties: {a: {type: "string", default: "x", examples: ["y"], deprecated: true, readOnly: true, writeOnly: false, "x-vendor": 1}},
  required: ["a"]
};

let harness: GrammarHarness;
beforeAll(async () => {
  harness = await GrammarHarness.load();
});
afterAll(async () => harness?.dispose());

describe("an unsupported keyword", () => {
  it.each(UNSUPPORTED.map((entry) => [entry.pointer, entry] as const))("under strict is an error naming %s", (_pointer, entry) => {
    let caught: unknown;
    try {
      jsonSchemaToGbnf(entry.schema, {strict: true});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SchemaConversionError);
    expect((caught as SchemaConversionError).pointer).toBe(entry.pointer);
    expect((caught as Error).message).toContain(entry.pointer);
  });

  it.each(UNSUPPORTED.map((entry) => [entry.pointer, entry] as const))("without strict is dropped at %s and the grammar compiles", async (_pointer, entry) => {
    const {grammar, droppedKeywords} = jsonSchemaToGbnf(entry.schema, {strict: false});
    expect(droppedKeywords).toContainEqual({pointer: entry.pointer, keyword: entry.keyword});
    await expect(harness.compile(grammar)).resolves.toBeDefined();
  });
});

describe("lenient conversion keeps enforcing the rest", () => {
  it("drops an unknown format to any string, but keeps the type", async () => {
    const {grammar} = jsonSchemaToGbnf({type: "string", format: "hostname"}, {strict: false});
    expect(await harness.accepts(grammar, '"anything at all"')).toBe(true);
    expect(await harness.accepts(grammar, "12")).toBe(false);
  });

  it("falls back from an untranslatable pattern to the format beside it", async () => {
    const {grammar} = jsonSchemaToGbnf({type: "string", format: "date", pattern: "^(?!0000)\\d{4}-\\d\\d-\\d\\d$"}, {strict: false});
    expect(await harness.accepts(grammar, '"2024-05-06"')).toBe(true);
    expect(await harness.accepts(grammar, '"2024-5-6"')).toBe(false);
  });

  it("drops multipleOf but keeps the integer bounds", async () => {
    const {grammar} = jsonSchemaToGbnf({type: "integer", minimum: 1, maximum: 9, multipleOf: 2}, {strict: false});
    expect(await harness.accepts(grammar, "3")).toBe(true);
    expect(await harness.accepts(grammar, "10")).toBe(false);
  });
});

describe("annotations", () => {
  it("are ignored in both modes and change nothing", () => {
    const plain = {type: "object", properties: {a: {type: "string"}}, required: ["a"]};
    for (const strict of [true, false]) {
      const result = jsonSchemaToGbnf(ANNOTATED, {strict});
      expect(result.droppedKeywords).toEqual([]);
      expect(result.grammar).toBe(jsonSchemaToGbnf(plain, {strict}).grammar);
    }
  });
});

describe("broken schemas are errors in both modes", () => {
  const BROKEN: readonly {readonly schema: unknown; readonly pointer: string}[] = [
    {schema: {type: "object", properties: {x: {$ref: "#/$defs/Missing"}}}, pointer: "#/properties/x/$ref"},
    {schema: {$ref: "https://example.com/schema.json"}, pointer: "#/$ref"},
    {schema: {type: "strnig"}, pointer: "#/type"},
    {schema: {type: "object", properties: {never: false}, required: ["never"]}, pointer: "#/properties/never"},
    {schema: {type: "string", minLength: -1}, pointer: "#/minLength"},
    {schema: {type: "string", pattern: "^(a$"}, pointer: "#/pattern"},
    {schema: {anyOf: []}, pointer: "#/anyOf"},
    {schema: {type: "array", items: {type: "string"}, minItems: 3, maxItems: 2}, pointer: "#"},
    {schema: {type: "object", properties: {a: {type: "string"}}, required: ["b"], additionalProperties: false}, pointer: "#/additionalProperties"},
    {schema: "string", pointer: "#"},
    {schema: {$ref: "#/$defs/A", $defs: {A: {anyOf: [{$ref: "#/$defs/A"}, {type: "string"}]}}}, pointer: "#/$defs/A/anyOf/0/$ref"},
    {schema: {$ref: "#/$defs/A", $defs: {A: {$ref: "#/$defs/B"}, B: {type: ["null"], allOf: [{$ref: "#/$defs/A"}]}}}, pointer: "#/$defs/B/allOf/0/$ref"},
    {schema: {anyOf: [{type: "integer"}, {$ref: "#"}]}, pointer: "#/anyOf/1/$ref"}
  ];
  it.each(BROKEN.map((entry) => [entry.pointer, entry] as const))("%s", (_pointer, entry) => {
    for (const strict of [true, false]) {
      expect(() => jsonSchemaToGbnf(entry.schema, {strict})).toThrow(SchemaConversionError);
      try {
        jsonSchemaToGbnf(entry.schema, {strict});
      } catch (error) {
        expect((error as SchemaConversionError).pointer).toBe(entry.pointer);
      }
    }
  });
});

describe("output", () => {
  it("is deterministic and names rules after schema paths", () => {
    const schema = {type: "object", properties: {user: {type: "object", properties: {name: {type: "string", maxLength: 5}}, required: ["name"]}}, required: ["user"]};
    const first = jsonSchemaToGbnf(schema, {strict: true}).grammar;
    expect(jsonSchemaToGbnf(structuredClone(schema), {strict: true}).grammar).toBe(first);
    expect(first).toMatch(/^root ::= /);
    expect(first).toMatch(/^root-user ::= /m);
    expect(first).toMatch(/^root-user-name-string ::= /m);
  });
});
