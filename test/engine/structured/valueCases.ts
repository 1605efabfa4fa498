/**
 * Acceptance cases for arrays, strings, formats, numbers, enums and "any value".
 */
import type {SchemaCase} from "./schemaCase.ts";

export const VALUE_CASES: readonly SchemaCase[] = [
  {
    name: "array items with minItems and maxItems",
    schema: {type: "array", items: {type: "string"}, minItems: 1, maxItems: 3},
    valid: [["a"], ["a", "b"], ["a", "b", "c"]],
    invalid: [[], ["a", "b", "c", "d"], [1]],
    rejectedTexts: ['["a",]', '[,"a"]']
  },
  {
    name: "array without bounds, and items absent means any items",
    schema: {type: "object", properties: {xs: {type: "array", items: {type: "integer"}}, any: {type: "array"}}, required: ["xs", "any"]},
    valid: [{xs: [], any: []}, {xs: [1, -2, 3], any: [1, "a", null, {b: [true]}]}],
    invalid: [{xs: [1.5], any: []}, {xs: ["1"], any: []}]
  },
  {
    name: "prefixItems tuple without further items",
    schema: {type: "array", prefixItems: [{type: "string"}, {type: "integer"}], items: false, minItems: 2},
    valid: [["a", 1]],
    invalid: [["a"], ["a", 1, 2], [1, "a"]]
  },
  {
    name: "prefixItems tuple followed by items",
    schema: {type: "array", prefixItems: [{type: "boolean"}], items: {type: "null"}, maxItems: 3},
    valid: [[], [true], [false, null], [true, null, null]],
    invalid: [[null], [true, true], [true, null, null, null]]
  },
  {
    name: "draft-07 tuple as an items array with additionalItems",
    schema: {$schema: "http://json-schema.org/draft-07/schema#", type: "array", items: [{type: "integer"}, {type: "string"}], additionalItems: {type: "boolean"}, minItems: 2},
    valid: [[1, "a"], [1, "a", true, false]],
    invalid: [[1], ["a", 1], [1, "a", 3]]
  },
  {
    name: "strings with minLength and maxLength",
    schema: {type: "string", minLength: 2, maxLength: 4},
    valid: ["ab", "abcd", "é\n", "\"\\"],
    invalid: ["a", "abcde", ""]
  },
  {
    name: "formats date-time, date, time, uuid, email",
    schema: {type: "object", properties: {dt: {type: "string", format: "date-time"}, d: {type: "string", format: "date"}, t: {type: "string", format: "time"}, u: {type: "string", format: "uuid"}, e: {type: "string", format: "email"}}, required: ["dt", "d", "t", "u", "e"]},
    valid: [
      {dt: "2024-02-29T23:59:59Z", d: "1999-12-31", t: "08:30:00Z", u: "123e4567-e89b-12d3-a456-426614174000", e: "ann.lee+x@mail.example.com"},
      {dt: "2020-01-01T00:00:00.123+05:30", d: "2021-04-30", t: "23:00:00.5-01:00", u: "A987FBC9-4BED-3078-8F07-9141BA07C9F3", e: "a@b.io"}
    ],
    invalid: [
      {dt: "2023-02-30T23:59:59Z", d: "1999-12-31", t: "08:30:00Z", u: "123e4567-e89b-12d3-a456-426614174000", e: "a@b.io"},
      {dt: "2024-02-29T23:59:59Z", d: "1999-13-01", t: "08:30:00Z", u: "123e4567-e89b-12d3-a456-426614174000", e: "a@b.io"},
      {dt: "2024-02-29T23:59:59Z", d: "1999-04-31", t: "08:30:00Z", u: "123e4567-e89b-12d3-a456-426614174000", e: "a@b.io"},
      {dt: "2024-02-29T23:59:59Z", d: "1999-12-31", t: "24:30:00Z", u: "123e4567-e89b-12d3-a456-426614174000", e: "a@b.io"},
      {dt: "2024-02-29T23:59:59Z", d: "1999-12-31", t: "08:30:00Z", u: "123e4567e89b12d3a456426614174000", e: "a@b.io"},
      {dt: "2024-02-29T23:59:59Z", d: "1999-12-31", t: "08:30:00Z", u: "123e4567-e89b-12d3-a456-426614174000", e: "not-an-email"}
    ]
  },
  {
    name: "pattern",
    schema: {type: "string", pattern: "^[A-Z]{2}-\\d{3,4}(\\.[a-z]+)?$"},
    valid: ["AB-123", "XY-9999.ext"],
    invalid: ["ab-123", "AB-12", "AB-12345", "AB-123.", "AB-123.X"]
  },
  {
    name: "integer and number",
    schema: {type: "object", properties: {i: {type: "integer"}, n: {type: "number"}}, required: ["i", "n"]},
    valid: [{i: 0, n: 0}, {i: -12, n: -0.5}, {i: 123456789012345, n: 3.25e-7}, {i: 7, n: 1e+21 / 1e10}],
    validTexts: ['{"i": 1, "n": 1E5}', '{"i": 1, "n": -2.5e-3}'],
    invalid: [{i: 1.5, n: 1}, {i: "1", n: 1}, {i: 1, n: "1"}],
    rejectedTexts: ['{"i": 01, "n": 1}', '{"i": 1, "n": .5}', '{"i": 1, "n": 1.}', '{"i": +1, "n": 1}', '{"i": 1, "n": NaN}']
  },
  {
    name: "integer bounds with digit ranges",
    schema: {type: "object", properties: {a: {type: "integer", minimum: 0, maximum: 150}, b: {type: "integer", exclusiveMinimum: -10, exclusiveMaximum: 10}, c: {type: "integer", minimum: 1000}}, required: ["a", "b", "c"]},
    valid: [{a: 0, b: -9, c: 1000}, {a: 150, b: 9, c: 99999}, {a: 42, b: 0, c: 1001}],
    invalid: [{a: -1, b: 0, c: 1000}, {a: 151, b: 0, c: 1000}, {a: 0, b: -10, c: 1000}, {a: 0, b: 10, c: 1000}, {a: 0, b: 0, c: 999}]
  },
  {
    name: "number bounds with whole-number limits",
    schema: {type: "object", properties: {p: {type: "number", minimum: 0, maximum: 1}, q: {type: "number", exclusiveMinimum: 0}}, required: ["p", "q"]},
    valid: [{p: 0, q: 0.001}, {p: 1, q: 5}, {p: 0.25, q: 100.5}],
    validTexts: ['{"p": 1.000, "q": 0.1}'],
    invalid: [{p: -0.1, q: 1}, {p: 1.01, q: 1}, {p: 0.5, q: 0}, {p: 0.5, q: -1}],
    rejectedTexts: ['{"p": 0.5, "q": 0.0}']
  },
  {
    name: "enum and const with any JSON values",
    schema: {type: "object", properties: {e: {enum: ["red", 2, null, true, {k: [1]}, ["x"]]}, c: {const: {a: 1, b: "two"}}}, required: ["e", "c"]},
    valid: [{e: "red", c: {a: 1, b: "two"}}, {e: 2, c: {a: 1, b: "two"}}, {e: null, c: {a: 1, b: "two"}}, {e: {k: [1]}, c: {a: 1, b: "two"}}, {e: ["x"], c: {a: 1, b: "two"}}],
    invalid: [{e: "blue", c: {a: 1, b: "two"}}, {e: "red", c: {a: 1}}, {e: 3, c: {a: 1, b: "two"}}]
  },
  {
    name: "enum filtered by type",
    schema: {type: "string", enum: ["a", "b"]},
    valid: ["a", "b"],
    invalid: ["c"]
  },
  {
    name: "the empty schema accepts any JSON value",
    schema: {},
    valid: [null, true, 0, -1.5, "s", [], [1, [2]], {}, {a: {b: [null]}}],
    rejectedTexts: ["nul", "{a: 1}", "[1,]", "'x'", "1 2"]
  },
  {
    name: "true accepts any JSON value",
    schema: true,
    valid: [null, "x", {a: 1}],
    rejectedTexts: ["undefined"]
  }
];
