/**
 * The fixed JSON rules every grammar draws on, and the whitespace policy.
 *
 * Whitespace: `ws` is nothing, one space, or one newline followed by up to 20 spaces or tabs. It may
 * appear only after `{`, `[`, `:` and `,` and before `}` and `]`, never around the root value, so
 * compact JSON, `JSON.stringify(value, null, 2)`-style output (up to ten levels deep) and a single
 * space after separators are all accepted, while a model that would pad forever is cut off after at
 * most 21 characters at any one place. The root value ends the grammar: once it is complete only
 * end-of-generation remains.
 *
 * Numbers: at most 15 integer digits (so every integer the grammar admits is a safe JavaScript
 * integer), at most 15 fraction digits and a two-digit exponent (so no number overflows to
 * Infinity). Strings: escapes as JSON defines them, no raw control characters, and no `\u` escape of
 * a lone surrogate half (a JSON writer puts astral characters in raw).
 */

/** Integer digits the grammar allows; 10^15 - 1 is below 2^53, so every admitted integer is exact. */
export const MAX_INTEGER_DIGITS = 15;
/** The largest magnitude an unbounded integer rule admits. */
export const MAX_INTEGER_MAGNITUDE = 10 ** MAX_INTEGER_DIGITS - 1;

const HEX = "[0-9a-fA-F]";

/** @internal */
export const PRIMITIVE_RULES = {
  "ws": {body: `( " " | "\\n" [ \\t]{0,20} )?`, uses: []},
  "char": {body: `[^"\\\\\\x00-\\x1F] | "\\\\" ( ["\\\\/bfnrt] | "u" ( [0-9a-cA-CefEF] ${HEX}{3} | [dD] [0-7] ${HEX}{2} ) )`, uses: []},
  "string": {body: `"\\"" char* "\\""`, uses: ["char"]},
  "integral-part": {body: `"0" | [1-9] [0-9]{0,${MAX_INTEGER_DIGITS - 1}}`, uses: []},
  "integer": {body: `"-"? integral-part`, uses: ["integral-part"]},
  "number": {body: `"-"? integral-part ( "." [0-9]{1,15} )? ( [eE] [-+]? [0-9]{1,2} )?`, uses: ["integral-part"]},
  "boolean": {body: `"true" | "false"`, uses: []},
  "value": {body: `object | array | string | number | boolean | "null"`, uses: ["object", "array", "string", "number", "boolean"]},
  "object": {body: `"{" ws ( member ( "," ws member )* ws )? "}"`, uses: ["ws", "member"]},
  "member": {body: `string ":" ws value`, uses: ["string", "ws", "value"]},
  "array": {body: `"[" ws ( value ( "," ws value )* ws )? "]"`, uses: ["ws", "value"]}
} satisfies Record<string, {readonly body: string; readonly uses: readonly string[]}>;

/** Names of the fixed rules. */
export type PrimitiveName = keyof typeof PRIMITIVE_RULES;
