/**
 * Turns a `pattern` into GBNF for the JSON string whose decoded content matches it. Characters are
 * spelled as a JSON writer spells them (`"` as `\"`, a newline as `\n`, other text raw), so the
 * grammar constrains the encoded text the model writes. A pattern outside the translatable subset is
 * reported (strict: error; otherwise the caller falls back to `format` or a plain string); a pattern
 * that is not a regular expression at all is an error in both modes.
 */
import {jsonStringCharExpression} from "./CharSet.ts";
import {gbnfAlternatives, gbnfGroup, gbnfLiteral, gbnfRepeat, gbnfSequence, isSingleSymbol} from "./gbnfText.ts";
import {parseRegex, type RegexNode, UnsupportedPatternError} from "./regexParser.ts";
import type {RuleSet} from "./RuleSet.ts";
import type {Keyword, KeywordReporter} from "./schemaNode.ts";
import {MAX_REPETITION} from "./stringRules.ts";
import {SchemaConversionError} from "./types.ts";

/** A rule name for the string matching `pattern`, or undefined when the pattern was reported. */
export function patternExpression(pattern: Keyword, label: string, rules: RuleSet, report: KeywordReporter): string | undefined {
  const source = pattern.value;
  if (typeof source !== "string") throw new SchemaConversionError(pattern.pointer, "pattern must be a string");
  if (!isRegex(source)) throw new SchemaConversionError(pattern.pointer, `pattern ${JSON.stringify(source)} is not a valid regular expression`);
  try {
    const body = new PatternEmitter(rules, `${label}-pattern`).emit(parseRegex(source));
    const quote = gbnfLiteral("\"");
    return rules.add(`${label}-pattern`, gbnfSequence([quote, gbnfGroup(body), quote]));
  } catch (error) {
    if (!(error instanceof UnsupportedPatternError)) throw error;
    report(pattern.pointer, "pattern", `pattern ${JSON.stringify(source)} cannot be translated: ${error.message}`);
    return undefined;
  }
}

function isRegex(source: string): boolean {
  for (const flags of ["u", ""]) {
    try {
      new RegExp(source, flags);
      return true;
    } catch {
      // try the next flavour
    }
  }
  return false;
}

/** True when the node can match the empty string (such a node cannot be repeated without bound). */
function matchesEmpty(node: RegexNode): boolean {
  switch (node.kind) {
    case "set": return false;
    case "sequence": return node.items.every(matchesEmpty);
    case "alternation": return node.options.some(matchesEmpty);
    case "repeat": return node.min === 0 || matchesEmpty(node.item);
  }
}

class PatternEmitter {
  constructor(private readonly rules: RuleSet, private readonly label: string) {}

  emit(node: RegexNode): string {
    switch (node.kind) {
      case "set": {
        const expression = jsonStringCharExpression(node.set);
        if (expression === undefined) throw new UnsupportedPatternError("a character class that matches nothing");
        return expression;
      }
      case "sequence": return this.emitSequence(node.items);
      case "alternation": return gbnfAlternatives(node.options.map((option) => this.emit(option)));
      case "repeat": return this.emitRepeat(node);
    }
  }

  /** Runs of single characters become one literal, spelled the way JSON.stringify spells them. */
  private emitSequence(items: readonly RegexNode[]): string {
    const parts: string[] = [];
    let run = "";
    const flush = (): void => {
      if (run !== "") parts.push(gbnfLiteral(JSON.stringify(run).slice(1, -1)));
      run = "";
    };
    for (const item of items) {
      const single = item.kind === "set" ? item.set.single : undefined;
      if (single !== undefined) {
        run += String.fromCodePoint(single);
        continue;
      }
      flush();
      parts.push(gbnfGroup(this.emit(item)));
    }
    flush();
    return gbnfSequence(parts);
  }

  private emitRepeat(node: Extract<RegexNode, {kind: "repeat"}>): string {
    if (node.min > MAX_REPETITION || (node.max !== Infinity && node.max > MAX_REPETITION)) {
      throw new UnsupportedPatternError(`a repetition count above ${MAX_REPETITION}`);
    }
    if (node.max === Infinity && matchesEmpty(node.item)) throw new UnsupportedPatternError("an unbounded repetition of something that can be empty");
    const inner = this.emit(node.item);
    // Anything but a single symbol becomes a rule of its own: llama.cpp multiplies nested
    // repetition counts within one rule and refuses the grammar past 2000.
    const item = isSingleSymbol(inner) ? inner : this.rules.add(this.label, inner);
    return gbnfRepeat(item, node.min, node.max);
  }
}
