/**
 * Parses the regular-expression subset that JSON Schema `pattern`s use in practice into a small
 * tree: literals, escapes (`\d \w \s` and their negations, `\n`, `\xHH`, `\uHHHH`, `\u{...}`),
 * character classes with ranges and negation, `.`, groups (capturing, `(?:`, named), alternation,
 * and the quantifiers `? * + {n} {n,} {n,m}` (lazy or not, which a grammar cannot tell apart). `^`
 * and `$` are accepted at the ends of top-level branches; a side without its anchor matches any
 * surrounding text, as JSON Schema's unanchored search does. Anything else (lookaround,
 * backreferences, word boundaries, anchors inside groups, Unicode property escapes) throws
 * {@link UnsupportedPatternError}.
 */
import {CharSet} from "./CharSet.ts";

/** A regex tree. */
export type RegexNode =
  | {readonly kind: "set"; readonly set: CharSet}
  | {readonly kind: "sequence"; readonly items: readonly RegexNode[]}
  | {readonly kind: "alternation"; readonly options: readonly RegexNode[]}
  | {readonly kind: "repeat"; readonly item: RegexNode; readonly min: number; readonly max: number};

/** A valid regex outside the translatable subset. */
export class UnsupportedPatternError extends Error {}

const DIGIT = CharSet.range(0x30, 0x39);
const WORD = CharSet.of([{from: 0x30, to: 0x39}, {from: 0x41, to: 0x5a}, {from: 0x61, to: 0x7a}, {from: 0x5f, to: 0x5f}]);
const SPACE = CharSet.chars("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff").union(CharSet.range(0x2000, 0x200a));
const DOT = CharSet.chars("\n\r\u2028\u2029").complement();
const CLASS_ESCAPES: Readonly<Record<string, CharSet>> = {
  d: DIGIT, D: DIGIT.complement(), w: WORD, W: WORD.complement(), s: SPACE, S: SPACE.complement()
};
const CONTROL_ESCAPES: Readonly<Record<string, number>> = {n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b, 0: 0x00};
const MAX_DEPTH = 50;

const anyText: RegexNode = {kind: "repeat", item: {kind: "set", set: CharSet.ALL}, min: 0, max: Infinity};

/** Parses `pattern`; throws UnsupportedPatternError for constructs outside the subset. */
export function parseRegex(pattern: string): RegexNode {
  return new RegexParser(pattern).parseTop();
}

class RegexParser {
  private readonly chars: string[];
  private position = 0;

  constructor(pattern: string) {
    this.chars = Array.from(pattern);
  }

  parseTop(): RegexNode {
    const branches: RegexNode[] = [];
    do {
      const anchoredStart = this.eat("^");
      const body = this.parseSequence(0);
      const anchoredEnd = this.eat("$");
      if (!this.atEnd() && this.peek() !== "|") throw new UnsupportedPatternError(`unexpected ${JSON.stringify(this.peek())} at ${this.position}`);
      branches.push({kind: "sequence", items: [...(anchoredStart ? [] : [anyText]), body, ...(anchoredEnd ? [] : [anyText])]});
    } while (this.eat("|"));
    return branches.length === 1 ? branches[0]! : {kind: "alternation", options: branches};
  }

  private parseAlternation(depth: number): RegexNode {
    if (depth > MAX_DEPTH) throw new UnsupportedPatternError("groups nested too deeply");
    const options = [this.parseSequence(depth)];
    while (this.eat("|")) options.push(this.parseSequence(depth));
    return options.length === 1 ? options[0]! : {kind: "alternation", options};
  }

  private parseSequence(depth: number): RegexNode {
    const items: RegexNode[] = [];
    while (!this.atEnd() && this.peek() !== "|" && this.peek() !== ")") {
      if (this.peek() === "$" && depth === 0 && (this.position + 1 === this.chars.length || this.chars[this.position + 1] === "|")) break;
      items.push(this.parseQuantifier(this.parseAtom(depth)));
    }
    return items.length === 1 ? items[0]! : {kind: "sequence", items};
  }

  private parseAtom(depth: number): RegexNode {
    const char = this.next();
    switch (char) {
      case "(": return this.parseGroup(depth);
      case "[": return {kind: "set", set: this.parseClass()};
      case ".": return {kind: "set", set: DOT};
      case "\\": return {kind: "set", set: this.parseEscape(false)};
      case "^": case "$": throw new UnsupportedPatternError(`anchor ${char} inside the pattern`);
      case "*": case "+": case "?": throw new UnsupportedPatternError(`quantifier ${char} without an item`);
      default: return {kind: "set", set: CharSet.chars(char)};
    }
  }

  private parseGroup(depth: number): RegexNode {
    if (this.eat("?")) {
      if (this.eat(":")) {
        // non-capturing
      } else if (this.peek() === "<" && this.chars[this.position + 1] !== "=" && this.chars[this.position + 1] !== "!") {
        while (!this.atEnd() && this.next() !== ">");
      } else {
        throw new UnsupportedPatternError("lookaround groups");
      }
    }
    const inner = this.parseAlternation(depth + 1);
    if (!this.eat(")")) throw new UnsupportedPatternError("unclosed group");
    return inner;
  }

  private parseQuantifier(item: RegexNode): RegexNode {
    let min: number;
    let max: number;
    if (this.eat("*")) [min, max] = [0, Infinity];
    else if (this.eat("+")) [min, max] = [1, Infinity];
    else if (this.eat("?")) [min, max] = [0, 1];
    else {
      const braces = /^\{(\d+)(,(\d*))?\}/.exec(this.chars.slice(this.position, this.position + 24).join(""));
      if (braces === null) return item;
      this.position += braces[0].length;
      min = Number(braces[1]);
      max = braces[2] === undefined ? min : braces[3] === "" ? Infinity : Number(braces[3]);
      if (max < min) throw new UnsupportedPatternError("quantifier range out of order");
    }
    this.eat("?");
    return {kind: "repeat", item, min, max};
  }

  private parseClass(): CharSet {
    const negated = this.eat("^");
    let set = CharSet.EMPTY;
    while (!this.eat("]")) {
      if (this.atEnd()) throw new UnsupportedPatternError("unclosed character class");
      const from = this.classMember();
      if (this.peek() === "-" && this.chars[this.position + 1] !== "]" && this.position + 1 < this.chars.length) {
        this.position++;
        const to = this.classMember();
        if (from.single === undefined || to.single === undefined || to.single < from.single) throw new UnsupportedPatternError("bad class range");
        set = set.union(CharSet.range(from.single, to.single));
      } else {
        set = set.union(from);
      }
    }
    return negated ? set.complement() : set;
  }

  private classMember(): CharSet {
    const char = this.next();
    return char === "\\" ? this.parseEscape(true) : CharSet.chars(char);
  }

  private parseEscape(inClass: boolean): CharSet {
    const char = this.next();
    if (char in CLASS_ESCAPES) return CLASS_ESCAPES[char]!;
    if (char in CONTROL_ESCAPES && !(char === "0" && /[0-9]/.test(this.peek() ?? ""))) return CharSet.range(CONTROL_ESCAPES[char]!, CONTROL_ESCAPES[char]!);
    if (char === "b" && inClass) return CharSet.range(0x08, 0x08);
    if (char === "x") return this.codePoint(this.take(2));
    if (char === "u" && this.eat("{")) return this.codePoint(this.takeUntil("}"));
    if (char === "u") return this.codePoint(this.take(4));
    if (/[A-Za-z0-9]/.test(char)) throw new UnsupportedPatternError(`escape \\${char}`);
    return CharSet.chars(char);
  }

  private codePoint(hexDigits: string): CharSet {
    const value = /^[0-9a-fA-F]+$/.test(hexDigits) ? parseInt(hexDigits, 16) : NaN;
    if (!(value <= 0x10ffff) || (value >= 0xd800 && value <= 0xdfff)) throw new UnsupportedPatternError(`escape of ${hexDigits}`);
    return CharSet.range(value, value);
  }

  private take(count: number): string {
    const text = this.chars.slice(this.position, this.position + count).join("");
    this.position += count;
    return text;
  }

  private takeUntil(end: string): string {
    const stop = this.chars.indexOf(end, this.position);
    if (stop < 0) throw new UnsupportedPatternError("unclosed escape");
    const text = this.chars.slice(this.position, stop).join("");
    this.position = stop + 1;
    return text;
  }

  private peek(): string | undefined {
    return this.chars[this.position];
  }

  private next(): string {
    const char = this.chars[this.position++];
    if (char === undefined) throw new UnsupportedPatternError("pattern ends too early");
    return char;
  }

  private eat(char: string): boolean {
    if (this.chars[this.position] !== char) return false;
    this.position++;
    return true;
  }

  private atEnd(): boolean {
    return this.position >= this.chars.length;
  }
}
