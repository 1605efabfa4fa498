/**
 * Number bounds, property-based: for random bounds (inclusive, exclusive or absent) and random
 * candidates around them, the grammar accepts a number exactly when it lies within the bounds.
 * Integers go through digit-range rules; numbers through their whole part and fraction.
 */
import fc from "fast-check";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {jsonSchemaToGbnf, SchemaConversionError} from "../../../engine/structured/index.ts";
import {GrammarHarness} from "./grammarHarness.ts";

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

let harness: GrammarHarness;
beforeAll(async () => {
  harness = await GrammarHarness.load();
});
afterAll(async () => harness?.dispose());

const bound = (magnitude: number): fc.Arbitrary<Bound | undefined> =>
  fc.option(fc.record({value: fc.integer({min: -magnitude, max: magnitude}), exclusive: fc.boolean()}), {nil: undefined, freq: 4});

function schemaFor(type: "integer" | "number", low: Bound | undefined, high: Bound | undefined): Record<string, unknown> {
  const schema: Record<string, unknown> = {type};
  if (low !== undefined) schema[low.exclusive ? "exclusiveMinimum" : "minimum"] = low.value;
  if (high !== undefined) schema[high.exclusive ? "exclusiveMaximum" : "maximum"] = high.value;
  return schema;
}

function within(value: number, low: Bound | undefined, high: Bound | undefined): boolean {
  const aboveLow = low === undefined || (low.exclusive ? value > low.value : value >= low.value);
  const belowHigh = high === undefined || (high.exclusive ? value < high.value : value <= high.value);
  return aboveLow && belowHigh;
}

/** Candidates around the bounds and elsewhere, as JSON number texts. */
function candidates(low: Bound | undefined, high: Bound | undefined, random: readonly number[]): number[] {
  const near = [low, high].flatMap((b) => b === undefined ? [] : [b.value - 1, b.value, b.value + 1]);
  return [...new Set([...near, ...random, 0])];
}

async function check(type: "integer" | "number", low: Bound | undefined, high: Bound | undefined, texts: readonly string[]): Promise<void> {
  let grammar: string;
  try {
    ({grammar} = jsonSchemaToGbnf(schemaFor(type, low, high), {strict: true}));
  } catch (error) {
    // Only a range no number fits may be refused.
    expect(error).toBeInstanceOf(SchemaConversionError);
    expect(texts.filter((text) => within(Number(text), low, high))).toEqual([]);
    return;
  }
  for (const text of texts) {
    expect(await harness.accepts(grammar, text), `${text} in ${JSON.stringify({low, high})}`).toBe(within(Number(text), low, high));
  }
}

describe("integer bounds", () => {
  it("accept exactly the integers within them", async () => {
    await fc.assert(fc.asyncProperty(bound(3000), bound(3000), fc.array(fc.integer({min: -40000, max: 40000}), {maxLength: 8}), async (low, high, random) => {
      await check("integer", low, high, candidates(low, high, random).map(String));
    }), {numRuns: 60, seed: 5});
  });

  it("accept exactly the integers within wide bounds", async () => {
    await fc.assert(fc.asyncProperty(bound(10 ** 12), bound(10 ** 12), fc.array(fc.integer({min: -(2 ** 31), max: 2 ** 31}), {maxLength: 6}), async (low, high, random) => {
      await check("integer", low, high, candidates(low, high, random).map(String));
    }), {numRuns: 30, seed: 6});
  });

  it("treat bounds beyond 15 digits as the digit limit (zod's safe-integer bounds)", async () => {
    const {grammar} = jsonSchemaToGbnf({type: "integer", minimum: -9007199254740991, maximum: 9007199254740991}, {strict: true});
    expect(grammar).toBe(jsonSchemaToGbnf({type: "integer"}, {strict: true}).grammar);
    expect(await harness.accepts(grammar, "-999999999999999")).toBe(true);
  });
});

describe("number bounds", () => {
  const decimal = fc.tuple(fc.integer({min: -3000, max: 3000}), fc.option(fc.stringMatching(/^[0-9]{1,5}$/), {nil: undefined}))
    .map(([whole, fraction]) => `${whole}${fraction === undefined ? "" : `.${fraction}`}`)
    .filter((text) => !(text.startsWith("-") && Number(text) === 0));

  it("accept exactly the decimals within whole-number bounds", async () => {
    await fc.assert(fc.asyncProperty(bound(2000), bound(2000), fc.array(decimal, {maxLength: 10}), async (low, high, random) => {
      const near = candidates(low, high, []).flatMap((value) => [String(value), `${value}.5`, `${value}.0`, `${value}.001`]).filter((text) => !text.startsWith("-0"));
      await check("number", low, high, [...near, ...random]);
    }), {numRuns: 60, seed: 8});
  });
});
