/**
 * Schemas as OpenAI clients send them: openai-node's `zodResponseFormat` over zod v4 (`zod`) and zod
 * v3 (`zod/v3`), converted under strict mode. Instances zod accepts are accepted by the grammar;
 * instances zod rejects for reasons a grammar can see (types, enums, required keys, nullability,
 * discriminators) are refused.
 */
import {zodResponseFormat} from "openai/helpers/zod";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {z as z4} from "zod";
import {z as z3} from "zod/v3";
import {jsonSchemaToGbnf} from "../../../engine/structured/index.ts";
import {GrammarHarness} from "./grammarHarness.ts";
import {spellings} from "./schemaCase.ts";

interface Category {
  readonly name: string;
  readonly subcategories: readonly Category[];
}

function orderV4() {
  const Address = z4.object({street: z4.string(), zip: z4.string().nullable()});
  const Category: z4.ZodType<Category> = z4.lazy(() => z4.object({name: z4.string(), subcategories: z4.array(Category)}));
  const Shape = z4.discriminatedUnion("kind", [z4.object({kind: z4.literal("circle"), radius: z4.number()}), z4.object({kind: z4.literal("square"), side: z4.number()})]);
  return z4.object({
    id: z4.number().int(), customer: z4.string(), note: z4.string().nullable(), coupon: z4.string().nullable().optional(),
    status: z4.enum(["pending", "shipped", "delivered"]), items: z4.array(z4.object({sku: z4.string(), qty: z4.number().int()})),
    billing: Address, shipping: Address, shape: Shape, category: Category
  });
}

function orderV3() {
  const Address = z3.object({street: z3.string(), zip: z3.string().nullable()});
  const Category: z3.ZodType<Category> = z3.lazy(() => z3.object({name: z3.string(), subcategories: z3.array(Category)}));
  const Shape = z3.discriminatedUnion("kind", [z3.object({kind: z3.literal("circle"), radius: z3.number()}), z3.object({kind: z3.literal("square"), side: z3.number()})]);
  return z3.object({
    id: z3.number().int(), customer: z3.string(), note: z3.string().nullable(), coupon: z3.string().nullable().optional(),
    status: z3.enum(["pending", "shipped", "delivered"]), items: z3.array(z3.object({sku: z3.string(), qty: z3.number().int()})),
    billing: Address, shipping: Address, shape: Shape, category: Category
  });
}

const address = {street: "1 Main St", zip: null};
const VALID: readonly Record<string, unknown>[] = [
  {id: 1, customer: "Ann", note: null, coupon: null, status: "pending", items: [], billing: address, shipping: address,
    shape: {kind: "circle", radius: 2.5}, category: {name: "root", subcategories: []}},
  {id: -7, customer: "", note: "leave at door", coupon: "SAVE10", status: "delivered", items: [{sku: "a-1", qty: 2}, {sku: "b", qty: 0}],
    billing: {street: "x", zip: "12345"}, shipping: address, shape: {kind: "square", side: 3},
    category: {name: "a", subcategories: [{name: "b", subcategories: [{name: "c", subcategories: []}]}]}}
];

const base = VALID[0]!;
const INVALID: readonly (readonly [string, Record<string, unknown>])[] = [
  ["an enum value outside the enum", {...base, status: "lost"}],
  ["a required key missing", Object.fromEntries(Object.entries(base).filter(([key]) => key !== "note"))],
  ["a non-nullable field set to null", {...base, customer: null}],
  ["a nullable field of the wrong type", {...base, note: 5}],
  ["a fraction where an integer is due", {...base, items: [{sku: "a", qty: 1.5}]}],
  ["a discriminator that does not match its branch", {...base, shape: {kind: "circle", side: 3}}],
  ["a nested required key missing", {...base, billing: {street: "x"}}],
  ["a wrong type deep in the recursive type", {...base, category: {name: "a", subcategories: [{name: 1, subcategories: []}]}}]
];

let harness: GrammarHarness;
beforeAll(async () => {
  harness = await GrammarHarness.load();
});
afterAll(async () => harness?.dispose());

describe.each([
  ["zod v4", () => zodResponseFormat(orderV4(), "order"), (value: unknown) => orderV4().safeParse(value).success],
  ["zod v3", () => zodResponseFormat(orderV3(), "order"), (value: unknown) => orderV3().safeParse(value).success]
] as const)("%s through zodResponseFormat", (_version, makeFormat, zodAccepts) => {
  let grammar: string;
  beforeAll(() => {
    const format = makeFormat();
    expect(format.json_schema.strict).toBe(true);
    grammar = jsonSchemaToGbnf(format.json_schema.schema, {strict: true}).grammar;
  });

  it("converts under strict mode to a grammar that compiles", async () => {
    await expect(harness.compile(grammar)).resolves.toBeDefined();
  });

  it("accepts the instances zod accepts", async () => {
    for (const value of VALID) {
      expect(zodAccepts(value)).toBe(true);
      for (const text of spellings(value)) expect(await harness.walk(grammar, text), text).toEqual({accepted: true, complete: true});
    }
  });

  it.each(INVALID)("refuses %s, as zod does", async (_reason, value) => {
    expect(zodAccepts(value)).toBe(false);
    expect(await harness.accepts(grammar, JSON.stringify(value))).toBe(false);
  });

  it("refuses an extra key, which the schema forbids (zod itself would strip it)", async () => {
    expect(await harness.accepts(grammar, JSON.stringify({...base, extra: true}))).toBe(false);
  });

  it("requires an .optional() field, because the SDK's schema lists it as required", async () => {
    const withoutCoupon = Object.fromEntries(Object.entries(base).filter(([key]) => key !== "coupon"));
    expect(zodAccepts(withoutCoupon)).toBe(true);
    expect(await harness.accepts(grammar, JSON.stringify(withoutCoupon))).toBe(false);
  });
});

describe("zod v3's shared sub-schema", () => {
  it("arrives as a #/definitions reference and becomes one shared rule", () => {
    const schema = zodResponseFormat(orderV3(), "order").json_schema.schema as {properties: {shipping: unknown}};
    expect(schema.properties.shipping).toEqual({$ref: "#/definitions/order_properties_billing"});
    const {grammar} = jsonSchemaToGbnf(schema, {strict: true});
    expect(grammar).toMatch(/"\\"shipping\\":" ws order-properties-billing/);
  });
});

describe.each([
  ["zod v4", () => z4.object({email: z4.email(), id: z4.uuid(), at: z4.iso.datetime(), day: z4.iso.date()})],
  ["zod v3", () => z3.object({email: z3.string().email(), id: z3.string().uuid(), at: z3.string().datetime(), day: z3.string().date()})]
] as const)("%s string formats", (_version, makeSchema) => {
  const valid = {email: "ann.lee@example.com", id: "123e4567-e89b-12d3-a456-426614174000", at: "2024-02-29T10:20:30Z", day: "2024-02-29"};
  const invalid: readonly Record<string, string>[] = [
    {...valid, email: "ann@"}, {...valid, id: "123e4567-e89b-12d3-a456"}, {...valid, at: "2024-02-29 10:20:30Z"}, {...valid, day: "2024-13-01"}
  ];

  it("accepts what zod accepts and refuses malformed values", async () => {
    const schema = makeSchema();
    const {grammar} = jsonSchemaToGbnf(zodResponseFormat(schema, "formats").json_schema.schema, {strict: true});
    expect(schema.safeParse(valid).success).toBe(true);
    expect(await harness.accepts(grammar, JSON.stringify(valid))).toBe(true);
    for (const value of invalid) {
      expect(schema.safeParse(value).success).toBe(false);
      expect(await harness.accepts(grammar, JSON.stringify(value)), JSON.stringify(value)).toBe(false);
    }
  });
});
