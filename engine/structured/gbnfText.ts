/**
 * Spelling of GBNF terminals: quoted literals, character classes and repetitions, in the dialect
 * llama.cpp's grammar parser reads (`src/llama-grammar.cpp`, `parse_char`/`parse_sequence`). Grammar
 * text stays ASCII: anything outside printable ASCII is written as a `\x`, `\u` or `\U` escape, so the
 * same schema always yields byte-identical grammar text whatever the platform's encoding habits.
 */

/** A closed range of Unicode code points, `from <= to`. */
export interface CodePointRange {
  readonly from: number;
  readonly to: number;
}

const hex = (value: number, width: number): string => value.toString(16).toUpperCase().padStart(width, "0");

/** Writes one code point in the escape forms `parse_char` understands, never as raw non-ASCII. */
function escapeCodePoint(codePoint: number, specials: ReadonlySet<number>): string {
  if (specials.has(codePoint)) return `\\${String.fromCodePoint(codePoint)}`;
  if (codePoint === 0x0a) return "\\n";
  if (codePoint === 0x0d) return "\\r";
  if (codePoint === 0x09) return "\\t";
  if (codePoint < 0x20 || codePoint === 0x7f) return `\\x${hex(codePoint, 2)}`;
  if (codePoint > 0xffff) return `\\U${hex(codePoint, 8)}`;
  if (codePoint > 0x7f) return `\\u${hex(codePoint, 4)}`;
  return String.fromCodePoint(codePoint);
}

const LITERAL_SPECIALS: ReadonlySet<number> = new Set([0x22, 0x5c]);
// `^` has no backslash escape in parse_char, so it is written as `\x5E` (the default branch below
// would print it raw, which reads as negation when it opens the class).
const CLASS_SPECIALS: ReadonlySet<number> = new Set([0x22, 0x5c, 0x5b, 0x5d, 0x2d]);

/** A GBNF string literal matching exactly `text` (compared code point by code point). */
export function gbnfLiteral(text: string): string {
  let body = "";
  for (const char of text) body += escapeCodePoint(char.codePointAt(0)!, LITERAL_SPECIALS);
  return `"${body}"`;
}

function classChar(codePoint: number): string {
  return codePoint === 0x5e ? "\\x5E" : escapeCodePoint(codePoint, CLASS_SPECIALS);
}

/** A GBNF character class over the given ranges; `negated` writes `[^...]`. */
export function gbnfClass(ranges: readonly CodePointRange[], negated = false): string {
  let body = "";
  for (const {from, to} of ranges) {
    body += classChar(from);
    if (to === from + 1) body += classChar(to);
    else if (to > from) body += `-${classChar(to)}`;
  }
  return `[${negated ? "^" : ""}${body}]`;
}

/**
 * `item` repeated between `min` and `max` times (`max` may be Infinity). `item` must be a single GBNF
 * symbol (a rule name, literal, class or parenthesised group). Empty string for `max === 0`.
 */
export function gbnfRepeat(item: string, min: number, max: number): string {
  if (max === 0) return "";
  if (min === 1 && max === 1) return item;
  if (min === 0 && max === 1) return `${item}?`;
  if (max === Infinity) return min === 0 ? `${item}*` : min === 1 ? `${item}+` : `${item}{${min},}`;
  return min === max ? `${item}{${min}}` : `${item}{${min},${max}}`;
}

/** Wraps a GBNF expression in parentheses when it has a top-level `|`, so it can join a sequence. */
export function gbnfGroup(expression: string): string {
  return hasTopLevelAlternation(expression) ? `(${expression})` : expression;
}

/** Wraps a GBNF expression in parentheses unless it is a single symbol, so it can take a quantifier. */
export function gbnfQuantifiable(expression: string): string {
  return isSingleSymbol(expression) ? expression : `(${expression})`;
}

function hasTopLevelAlternation(expression: string): boolean {
  let depth = 0;
  let quoted = false;
  let inClass = false;
  for (let i = 0; i < expression.length; i++) {
    const char = expression[i];
    if (char === "\\") i++;
    else if (quoted) quoted = char !== '"';
    else if (inClass) inClass = char !== "]";
    else if (char === '"') quoted = true;
    else if (char === "[") inClass = true;
    else if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "|" && depth === 0) return true;
  }
  return false;
}

/** True when the expression is one rule name, one literal or one class (safe to quantify as is). */
export function isSingleSymbol(expression: string): boolean {
  return /^[a-zA-Z0-9-]+$/.test(expression) ||
    /^"(?:[^"\\]|\\.)*"$/.test(expression) ||
    /^\[(?:[^\]\\]|\\.)*\]$/.test(expression);
}

/**
 * Joins alternatives, dropping duplicates while keeping the first occurrence's order. An empty
 * alternative turns the rest optional instead: a trailing `|` at the end of a rule line would make
 * the parser read the next line as part of this rule.
 */
export function gbnfAlternatives(alternatives: readonly string[]): string {
  const distinct = [...new Set(alternatives)];
  const nonEmpty = distinct.filter((alternative) => alternative !== "");
  if (nonEmpty.length === distinct.length) return nonEmpty.join(" | ");
  return nonEmpty.length === 0 ? "" : `( ${nonEmpty.join(" | ")} )?`;
}

/** Joins a sequence, skipping empty parts. */
export function gbnfSequence(parts: readonly string[]): string {
  return parts.filter((part) => part !== "").join(" ");
}
