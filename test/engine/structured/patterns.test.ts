/**
 * The regex translator, judged by JavaScript's own RegExp: for each pattern, strings that match it
 * (drawn by fast-check from the regex) and strings that mostly do not (drawn from the pattern's
 * alphabet) must be accepted by the grammar exactly when RegExp says they match. Strings go in as
 * JSON text, so quotes, backslashes and control characters are checked in their escaped form.
 */
import fc from "fast-check";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {jsonSchemaToGbnf, SchemaConversionError} from "../../../engine/structured/index.ts";
import {GrammarHarness} from "./grammarHarness.ts";

const ZOD_EMAIL = "^(?:[A-Za-z0-9_'+\\-]+\\.)*[A-Za-z0-9_'+\\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\\-]*\\.)+[A-Za-z]{2,}$";
const ZOD_UUID = "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$";
const ZOD_DATE = "^(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))$";

/** Pattern and the characters its near-misses are drawn from. */
const PATTERNS: readonly (readonly [string, string])[] = [
  ["^[A-Z]{2}-\\d{3,4}$", "AZaz-0189"],
  ["^(ab|cd)*e?$", "abcde"],
  ["^\\w+@\\w+\\.[a-z]{2,3}$", "a_Z9@.xy-"],
  ["^[^\"\\\\]*$", "a\"\\\n\u0001é"],
  ["^.{2,5}$", "ab\n\r\u2028"],
  ["^\\s*\\S+$", " \t\nab"],
  ["^[\\u00e9-\\u00ff]+x$", "éÿxa"],
  ["^a\"b\\\\c\\t$", "a\"b\\c\t"],
  ["b+c", "abcx"],
  ["^(?:[01]\\d|2[0-3]):[0-5]\\d$", "012359:"],
  ["^[^a-c]?z{2}$", "abcdz\u0000"],
  ["^(?<year>\\d{2})[-/.]x$", "12-/.x"],
  [ZOD_EMAIL, "ab.@c-1"],
  [ZOD_UUID, "0f-8a"],
  [ZOD_DATE, "0129-"]
];

const UNSUPPORTED: readonly string[] = ["^(?=a)\\w$", "^(a)\\1$", "^\\bword\\b$", "^a(?!b)", "^(a?)*$", "^\\p{L}+$", "^x{1001}$", "^a(^b)$", "^a$b$"];

let harness: GrammarHarness;
beforeAll(async () => {
  harness = await GrammarHarness.load();
});
afterAll(async () => harness?.dispose());

function samples(pattern: string, alphabet: string): string[] {
  const regex = new RegExp(pattern, "u");
  const matching = fc.sample(fc.stringMatching(regex, {size: "small"}), {numRuns: 25, seed: 7});
  const nearMisses = fc.sample(fc.string({unit: fc.constantFrom(...alphabet), maxLength: 12}), {numRuns: 40, seed: 11});
  return [...new Set([...matching, ...nearMisses])].filter((text) => !/\p{Surrogate}/u.test(text));
}

describe.each(PATTERNS)("pattern %s", (pattern, alphabet) => {
  it("accepts exactly the strings RegExp matches", async () => {
    const {grammar} = jsonSchemaToGbnf({type: "string", pattern}, {strict: true});
    const regex = new RegExp(pattern, "u");
    const outcomes = new Set<boolean>();
    for (const text of samples(pattern, alphabet)) {
      const expected = regex.test(text);
      outcomes.add(expected);
      expect(await harness.accepts(grammar, JSON.stringify(text)), JSON.stringify(text)).toBe(expected);
    }
    expect(outcomes).toEqual(new Set([true, false]));
  });
});

describe("patterns outside the subset", () => {
  it.each(UNSUPPORTED)("%s is refused under strict and becomes any string otherwise", async (pattern) => {
    expect(() => jsonSchemaToGbnf({type: "string", pattern}, {strict: true})).toThrow(SchemaConversionError);
    const {grammar, droppedKeywords} = jsonSchemaToGbnf({type: "string", pattern}, {strict: false});
    expect(droppedKeywords).toEqual([{pointer: "#/pattern", keyword: "pattern"}]);
    expect(await harness.accepts(grammar, '"whatever"')).toBe(true);
  });
});
