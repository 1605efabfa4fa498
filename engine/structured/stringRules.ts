/**
 * Rules for `string` schemas: plain strings, `minLength`/`maxLength`, the formats `date-time`,
 * `date`, `time`, `uuid` and `email`, and `pattern` (through the regex translator). The format rules
 * are loose but well-shaped: calendar months and day ranges per month (February up to 29), RFC 3339
 * times, RFC 4122 uuids, and addresses of the form `a.b@c.d`.
 *
 * When `pattern` is present it decides the string: `format` beside it is not enforced separately
 * (zod v4 sends both, the pattern being the exact form; JSON Schema itself treats `format` as an
 * annotation by default). Length bounds cannot be intersected with a pattern or a format.
 */
import {gbnfLiteral, gbnfRepeat, gbnfSequence} from "./gbnfText.ts";
import {patternExpression} from "./patternRules.ts";
import type {RuleSet} from "./RuleSet.ts";
import type {KeywordReporter, SchemaNode} from "./schemaNode.ts";
import {SchemaConversionError} from "./types.ts";

/** Above this a length bound would need more grammar rules than it is worth (and llama.cpp caps repetitions at 2000). */
export const MAX_REPETITION = 1000;

const QUOTE = gbnfLiteral("\"");
const DATE = `[0-9]{4} "-" ( ( "0" [13578] | "1" [02] ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] ) | ( "0" [469] | "11" ) "-" ( "0" [1-9] | [12] [0-9] | "30" ) | "02" "-" ( "0" [1-9] | "1" [0-9] | "2" [0-9] ) )`;
const CLOCK = `( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,9} )?`;
const OFFSET = `( "Z" | [+-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )`;
const HEX = "[0-9a-fA-F]";
const EMAIL_ATOM = "[A-Za-z0-9_+-]+";
const EMAIL_LABEL = "[A-Za-z0-9] ( [A-Za-z0-9-]* [A-Za-z0-9] )?";

/** Content rules (without the quotes) of the supported formats. */
const FORMAT_RULES: Readonly<Record<string, string>> = {
  "date": DATE,
  "time": `${CLOCK} ${OFFSET}?`,
  "date-time": `${DATE} "T" ${CLOCK} ${OFFSET}`,
  "uuid": `${HEX}{8} "-" ${HEX}{4} "-" [1-8] ${HEX}{3} "-" [89abAB] ${HEX}{3} "-" ${HEX}{12}`,
  "email": `${EMAIL_ATOM} ( "." ${EMAIL_ATOM} )* "@" ( ${EMAIL_LABEL} "." )+ [A-Za-z] [A-Za-z]+`
};

/** The formats this converter enforces. */
export const SUPPORTED_FORMATS: readonly string[] = Object.keys(FORMAT_RULES);

function readLength(node: SchemaNode, keyword: string, report: KeywordReporter): number | undefined {
  const entry = node.keywords.get(keyword);
  if (entry === undefined) return undefined;
  if (typeof entry.value !== "number" || !Number.isInteger(entry.value) || entry.value < 0) {
    throw new SchemaConversionError(entry.pointer, `${keyword} must be a non-negative integer`);
  }
  if (entry.value <= MAX_REPETITION) return entry.value;
  report(entry.pointer, keyword, `${keyword} above ${MAX_REPETITION} is not supported`);
  return undefined;
}

/** GBNF for a `string` schema position (a single rule name). */
export function stringExpression(node: SchemaNode, label: string, rules: RuleSet, report: KeywordReporter): string {
  const pattern = node.keywords.get("pattern");
  const format = node.keywords.get("format");
  const shaped = pattern !== undefined ? patternExpression(pattern, label, rules, report) : undefined;
  const formatted = shaped === undefined && format !== undefined ? formatExpression(format.value, format.pointer, label, rules, report) : undefined;
  const body = shaped ?? formatted;
  if (body !== undefined) {
    for (const keyword of ["minLength", "maxLength"]) {
      const entry = node.keywords.get(keyword);
      if (entry !== undefined) report(entry.pointer, keyword, `${keyword} cannot be combined with ${pattern !== undefined ? "pattern" : "format"}`);
    }
    return body;
  }
  const min = readLength(node, "minLength", report) ?? 0;
  const max = readLength(node, "maxLength", report) ?? Infinity;
  if (min > max) throw new SchemaConversionError(node.pointer, "minLength is greater than maxLength");
  if (min === 0 && max === Infinity) return rules.primitive("string");
  rules.primitive("char");
  return rules.add(`${label}-string`, gbnfSequence([QUOTE, gbnfRepeat("char", min, max), QUOTE]));
}

function formatExpression(format: unknown, pointer: string, label: string, rules: RuleSet, report: KeywordReporter): string | undefined {
  if (typeof format !== "string") throw new SchemaConversionError(pointer, "format must be a string");
  const content = FORMAT_RULES[format];
  if (content === undefined) {
    report(pointer, "format", `format ${JSON.stringify(format)} is not supported (supported: ${SUPPORTED_FORMATS.join(", ")})`);
    return undefined;
  }
  return rules.add(`${format}-string`, `${QUOTE} ${content} ${QUOTE}`);
}
