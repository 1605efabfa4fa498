/**
 * Sets of Unicode code points as sorted, disjoint, non-adjacent ranges, with the few operations the
 * regex translator needs (union, complement, difference) and the rendering of "one character of this
 * set inside a JSON string": characters JSON may carry raw become a GBNF class, the others become the
 * escape sequences a JSON writer would use for them.
 */
import {type CodePointRange, gbnfAlternatives, gbnfClass, gbnfLiteral} from "./gbnfText.ts";

const MAX_CODE_POINT = 0x10ffff;

/** An immutable set of code points. */
export class CharSet {
  private constructor(readonly ranges: readonly CodePointRange[]) {}

  static of(ranges: readonly CodePointRange[]): CharSet {
    const sorted = [...ranges].filter((range) => range.from <= range.to).sort((a, b) => a.from - b.from);
    const merged: CodePointRange[] = [];
    for (const range of sorted) {
      const last = merged.at(-1);
      if (last !== undefined && range.from <= last.to + 1) merged[merged.length - 1] = {from: last.from, to: Math.max(last.to, range.to)};
      else merged.push(range);
    }
    return new CharSet(merged);
  }

  static range(from: number, to: number): CharSet {
    return CharSet.of([{from, to}]);
  }

  static chars(text: string): CharSet {
    return CharSet.of([...text].map((char) => ({from: char.codePointAt(0)!, to: char.codePointAt(0)!})));
  }

  static readonly EMPTY = new CharSet([]);
  static readonly ALL = new CharSet([{from: 0, to: MAX_CODE_POINT}]);

  union(other: CharSet): CharSet {
    return CharSet.of([...this.ranges, ...other.ranges]);
  }

  complement(): CharSet {
    const gaps: CodePointRange[] = [];
    let next = 0;
    for (const {from, to} of this.ranges) {
      if (from > next) gaps.push({from: next, to: from - 1});
      next = to + 1;
    }
    if (next <= MAX_CODE_POINT) gaps.push({from: next, to: MAX_CODE_POINT});
    return new CharSet(gaps);
  }

  minus(other: CharSet): CharSet {
    return this.intersect(other.complement());
  }

  intersect(other: CharSet): CharSet {
    return this.complement().union(other.complement()).complement();
  }

  has(codePoint: number): boolean {
    return this.ranges.some(({from, to}) => from <= codePoint && codePoint <= to);
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** The single code point of a one-element set, else undefined. */
  get single(): number | undefined {
    const only = this.ranges.length === 1 ? this.ranges[0] : undefined;
    return only !== undefined && only.from === only.to ? only.from : undefined;
  }

  /** The set as a GBNF class, written negated when that is shorter. */
  toGbnfClass(): string {
    const positive = gbnfClass(this.ranges);
    const negative = gbnfClass(this.complement().ranges, true);
    return negative.length < positive.length ? negative : positive;
  }
}

const CONTROLS = CharSet.range(0x00, 0x1f);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Characters a JSON string may contain unescaped. */
const JSON_RAW = CONTROLS.union(CharSet.chars("\"\\")).complement();
const SHORT_ESCAPES: ReadonlyMap<number, string> = new Map([[0x08, "b"], [0x09, "t"], [0x0a, "n"], [0x0c, "f"], [0x0d, "r"]]);
const OTHER_CONTROLS = CONTROLS.minus(CharSet.of([...SHORT_ESCAPES.keys()].map((c) => ({from: c, to: c}))));

/**
 * GBNF for exactly one character of `set` as it appears inside a JSON string: raw where JSON allows
 * it, `\"`, `\\` and the short escapes otherwise, `\u00XX` for the remaining control characters.
 * Returns undefined for a set that no character can match.
 */
export function jsonStringCharExpression(set: CharSet): string | undefined {
  const alternatives: string[] = [];
  const raw = set.intersect(JSON_RAW);
  if (!raw.isEmpty) alternatives.push(raw.toGbnfClass());
  if (set.has(QUOTE)) alternatives.push(gbnfLiteral("\\\""));
  if (set.has(BACKSLASH)) alternatives.push(gbnfLiteral("\\\\"));
  for (const [codePoint, letter] of SHORT_ESCAPES) if (set.has(codePoint)) alternatives.push(gbnfLiteral(`\\${letter}`));
  alternatives.push(...unicodeEscapes(set.intersect(OTHER_CONTROLS)));
  return alternatives.length === 0 ? undefined : gbnfAlternatives(alternatives);
}

function unicodeEscapes(controls: CharSet): string[] {
  if (controls.isEmpty) return [];
  // All of them present (negated classes, `.`): one compact form for U+0000-0007, 000B, 000E-001F
  // instead of 27 literals.
  if (OTHER_CONTROLS.minus(controls).isEmpty) return [`${gbnfLiteral("\\u00")} ([0] [0-7bBeEfF] | [1] [0-9a-fA-F])`];
  const escapes: string[] = [];
  for (const {from, to} of controls.ranges) {
    for (let codePoint = from; codePoint <= to; codePoint++) escapes.push(gbnfLiteral(`\\u${codePoint.toString(16).padStart(4, "0")}`));
  }
  return escapes;
}
