/**
 * OpenAI structured outputs as a llama.cpp grammar: converts a JSON Schema (what `response_format:
 * {type: "json_schema"}` carries) into GBNF for `llama.createGrammar({grammar})`.
 *
 * Supported: `type` (single or array), `nullable`, `enum`, `const`, `anyOf`, `oneOf` (as anyOf),
 * `allOf` (merged), `$ref` into the same document (`#/$defs/...`, `#/definitions/...`, any
 * `#/...` pointer; recursive references give recursive rules), objects (`properties`, `required`,
 * `additionalProperties`; `minProperties`/`maxProperties` where they already hold), arrays
 * (`items`, `prefixItems`, draft-7 tuples with `additionalItems`, `minItems`, `maxItems`,
 * `uniqueItems: false`), strings (`minLength`, `maxLength`, `pattern`, `format` date-time, date,
 * time, uuid, email), integers and numbers (`minimum`, `maximum`, `exclusiveMinimum`,
 * `exclusiveMaximum`, `multipleOf` where it means "integer"). Annotations (title, description,
 * default, examples, ...) and unknown keywords are ignored. Whitespace and number limits are
 * described in primitives.ts.
 *
 * The rest (`not`, `if`/`then`/`else`, `patternProperties`, `propertyNames`, `dependent*`,
 * `contains`, `uniqueItems: true`, other `multipleOf`, fractional number bounds, unknown formats,
 * untranslatable patterns, length or count bounds above 1000, conflicting `allOf` members) is an
 * error under `strict` and dropped otherwise. Invalid schemas, unresolvable `$ref`s and references
 * that recur before anything is written (left recursion, which llama.cpp cannot parse) are errors
 * in both modes.
 */
import {SchemaConverter} from "./SchemaConverter.ts";
import type {ConversionOptions, ConversionResult} from "./types.ts";

/**
 * Converts a JSON Schema into GBNF whose `root` matches exactly one conforming JSON value with no
 * trailing text. Deterministic: the same schema always gives the same grammar text.
 *
 * @throws {SchemaConversionError} for an unsupported keyword under `strict`, an invalid schema or an
 * unresolvable `$ref`; `error.pointer` locates it (e.g. `#/properties/age/multipleOf`).
 */
export function jsonSchemaToGbnf(schema: unknown, options: ConversionOptions): ConversionResult {
  return new SchemaConverter(schema, options.strict).convert();
}
