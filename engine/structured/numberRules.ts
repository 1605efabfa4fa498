/**
 * Rules for `integer` and `number` with `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`
 * and `multipleOf`. Integer bounds become digit-range rules. A `number` is bounded through its whole
 * part, which needs whole-number bounds (a fractional bound such as 0.5 is unsupported); bounded
 * numbers are written without exponent. Bounds beyond 15 digits are what the digit limit already
 * enforces, so zod's ±(2^53-1) for `.int()` costs nothing.
 */
import {digitRange} from "./digitRanges.ts";
import {gbnfAlternatives, gbnfGroup, gbnfLiteral, gbnfSequence} from "./gbnfText.ts";
import {MAX_INTEGER_MAGNITUDE} from "./primitives.ts";
import type {RuleSet} from "./RuleSet.ts";
import type {KeywordReporter, SchemaNode} from "./schemaNode.ts";
import {SchemaConversionError} from "./types.ts";

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

const FRACTION = `"." [0-9]{1,15}`;
const NONZERO_FRACTION = `"." "0"{0,14} [1-9] [0-9]{0,14}`;
const ZERO_FRACTION = `"." "0"{1,15}`;

/** Reads the tighter of an inclusive and an exclusive bound; which one wins for lower or upper. */
function readBound(node: SchemaNode, inclusive: string, exclusive: string, lower: boolean): Bound | undefined {
  const candidates: Bound[] = [];
  for (const [keyword, isExclusive] of [[inclusive, false], [exclusive, true]] as const) {
    const entry = node.keywords.get(keyword);
    if (entry === undefined) continue;
    if (typeof entry.value !== "number" || !Number.isFinite(entry.value)) throw new SchemaConversionError(entry.pointer, `${keyword} must be a number`);
    candidates.push({value: entry.value, exclusive: isExclusive});
  }
  const tighter = (a: Bound, b: Bound): Bound => a.value === b.value ? (a.exclusive ? a : b) : (a.value > b.value) === lower ? a : b;
  return candidates.reduce<Bound | undefined>((best, bound) => best === undefined ? bound : tighter(best, bound), undefined);
}

/** Whether `multipleOf` makes this an integer, is implied, or cannot be enforced (reported). */
function readMultipleOf(node: SchemaNode, integer: boolean, report: KeywordReporter): boolean {
  const entry = node.keywords.get("multipleOf");
  if (entry === undefined) return integer;
  const step = entry.value;
  if (typeof step !== "number" || !(step > 0)) throw new SchemaConversionError(entry.pointer, "multipleOf must be a positive number");
  if (step === 1 || (integer && Number.isInteger(1 / step))) return true;
  report(entry.pointer, "multipleOf", `multipleOf ${step} cannot be enforced by a grammar`);
  return integer;
}

/** GBNF for an `integer` or `number` schema position. */
export function numberExpression(node: SchemaNode, integer: boolean, rules: RuleSet, report: KeywordReporter): string {
  const isInteger = readMultipleOf(node, integer, report);
  let lower = readBound(node, "minimum", "exclusiveMinimum", true);
  let upper = readBound(node, "maximum", "exclusiveMaximum", false);
  if (!isInteger) {
    lower = wholeOrReported(node, lower, "minimum", "exclusiveMinimum", report);
    upper = wholeOrReported(node, upper, "maximum", "exclusiveMaximum", report);
  }
  // Beyond the digit limit a bound is implied (outward) or unreachable (inward).
  if (lower !== undefined && lower.value < -MAX_INTEGER_MAGNITUDE) lower = undefined;
  if (upper !== undefined && upper.value > MAX_INTEGER_MAGNITUDE) upper = undefined;
  if (lower === undefined && upper === undefined) return rules.primitive(isInteger ? "integer" : "number");
  const expression = isInteger ? integerRange(lower, upper) : numberRange(lower, upper);
  if (expression === "") throw new SchemaConversionError(node.pointer, "no number within the grammar's 15 digits satisfies these bounds");
  return expression;
}

function wholeOrReported(node: SchemaNode, bound: Bound | undefined, inclusive: string, exclusive: string, report: KeywordReporter): Bound | undefined {
  if (bound === undefined || Number.isInteger(bound.value)) return bound;
  const keyword = bound.exclusive ? exclusive : inclusive;
  report(node.keywords.get(keyword)!.pointer, keyword, "a fractional bound on a number cannot be enforced by a grammar");
  return undefined;
}

/** Every integer in the range; each side undefined when unbounded. */
function integerRange(lower: Bound | undefined, upper: Bound | undefined): string {
  const low = lower === undefined ? -MAX_INTEGER_MAGNITUDE : lower.exclusive ? Math.floor(lower.value) + 1 : Math.ceil(lower.value);
  const high = upper === undefined ? MAX_INTEGER_MAGNITUDE : upper.exclusive ? Math.ceil(upper.value) - 1 : Math.floor(upper.value);
  const nonNegative = digitRange(Math.max(low, 0), Math.min(high, MAX_INTEGER_MAGNITUDE));
  const negative = digitRange(Math.max(-high, 1), Math.min(-low, MAX_INTEGER_MAGNITUDE));
  return gbnfAlternatives([nonNegative, negative === "" ? "" : gbnfSequence([gbnfLiteral("-"), gbnfGroup(negative)])].filter((a) => a !== ""));
}

/** Every decimal (no exponent) in the range, with whole-number bounds. */
function numberRange(lower: Bound | undefined, upper: Bound | undefined): string {
  const alternatives: string[] = [];
  if (upper === undefined || upper.value > 0 || (upper.value === 0 && !upper.exclusive)) {
    const low = lower !== undefined && lower.value >= 0 ? lower : {value: 0, exclusive: false};
    alternatives.push(magnitude(low, upper));
  }
  if (lower === undefined || lower.value < 0) {
    const low = upper !== undefined && upper.value < 0 ? {value: -upper.value, exclusive: upper.exclusive} : {value: 0, exclusive: true};
    const high = lower === undefined ? undefined : {value: -lower.value, exclusive: lower.exclusive};
    const negative = magnitude(low, high);
    if (negative !== "") alternatives.push(gbnfSequence([gbnfLiteral("-"), gbnfGroup(negative)]));
  }
  return gbnfAlternatives(alternatives.filter((alternative) => alternative !== ""));
}

/** Unsigned decimals `w(.f)?` between two non-negative whole bounds (upper undefined: unbounded). */
function magnitude(lower: Bound, upper: Bound | undefined): string {
  const alternatives: string[] = [];
  const wholeFrom = lower.exclusive ? lower.value + 1 : lower.value;
  const wholeTo = upper === undefined ? MAX_INTEGER_MAGNITUDE : upper.value - 1;
  const wholes = digitRange(wholeFrom, wholeTo);
  if (wholes !== "") alternatives.push(gbnfSequence([gbnfGroup(wholes), `(${FRACTION})?`]));
  if (lower.exclusive && (upper === undefined || lower.value < upper.value)) {
    alternatives.push(gbnfSequence([gbnfLiteral(String(lower.value)), NONZERO_FRACTION]));
  }
  if (upper !== undefined && !upper.exclusive && (upper.value > lower.value || (upper.value === lower.value && !lower.exclusive))) {
    alternatives.push(gbnfSequence([gbnfLiteral(String(upper.value)), `(${ZERO_FRACTION})?`]));
  }
  return gbnfAlternatives(alternatives);
}
