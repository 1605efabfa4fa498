/**
 * The converter core: walks a schema position by position and asks the type builders for each
 * position's GBNF. A position is a conjunction of parts (see conjunction.ts); `anyOf`/`oneOf` become
 * alternatives (one per branch, each merged with the rest of the position; `oneOf`'s exclusivity is
 * not enforced, which only matters for overlapping branches), a lone `$ref` becomes a named rule so
 * recursive schemas give recursive rules, and everything else is merged and built by type.
 */
import {flattenParts, inlineRefs, isPureRef, type SchemaPart, without} from "./conjunction.ts";
import {arrayExpression} from "./arrayRules.ts";
import {gbnfAlternatives, gbnfLiteral, isSingleSymbol} from "./gbnfText.ts";
import {isComposite, jsonLiteral} from "./jsonLiteral.ts";
import {childPointer, type Located, resolveRef} from "./jsonPointer.ts";
import {GENERAL_UNSUPPORTED, JSON_TYPES, type JsonType, jsonTypeOf} from "./keywords.ts";
import {mergeParts} from "./mergeParts.ts";
import {numberExpression} from "./numberRules.ts";
import {objectExpression} from "./objectRules.ts";
import {RuleSet} from "./RuleSet.ts";
import type {BuildContext, KeywordReporter, SchemaNode} from "./schemaNode.ts";
import {stringExpression} from "./stringRules.ts";
import {type ConversionResult, type DroppedKeyword, SchemaConversionError} from "./types.ts";

/** Deeper than this the schema is refused rather than risking the call stack. */
const MAX_DEPTH = 200;
/** Branch combinations one position may expand to (several anyOf in one allOf multiply). */
const MAX_COMBINATIONS = 256;

/** @internal */
export class SchemaConverter implements BuildContext {
  readonly rules = new RuleSet();
  readonly report: KeywordReporter;
  private readonly dropped = new Map<string, DroppedKeyword>();
  private readonly refRules = new Map<string, string>();
  /** Referenced schemas being built that nothing has been written for yet (see refRule). */
  private leftOpen = new Set<string>(["#"]);
  private depth = 0;

  constructor(private readonly root: unknown, strict: boolean) {
    this.report = (pointer, keyword, reason) => {
      if (strict) throw new SchemaConversionError(pointer, `${reason} (refused under strict mode)`);
      this.dropped.set(pointer, {pointer, keyword});
    };
  }

  convert(): ConversionResult {
    this.refRules.set("#", "root");
    this.rules.define("root", this.expression([{schema: this.root, pointer: "#"}], "root"));
    return {grammar: this.rules.render(), droppedKeywords: [...this.dropped.values()]};
  }

  visit(parts: readonly Located[], label: string): string {
    const expression = this.expression(parts, label);
    return isSingleSymbol(expression) ? expression : this.rules.add(label, expression);
  }

  private expression(parts: readonly Located[], label: string): string {
    if (++this.depth > MAX_DEPTH) throw new SchemaConversionError(parts[0]?.pointer ?? "#", "the schema is nested too deeply");
    try {
      return this.conjunction(flattenParts(parts), label);
    } finally {
      this.depth--;
    }
  }

  private conjunction(flat: readonly SchemaPart[], label: string): string {
    if (flat.some((part) => part.schema.nullable === true)) {
      const rest = flat.map((part) => without(part, "nullable"));
      return gbnfAlternatives([this.visit(rest, label), gbnfLiteral("null")]);
    }
    if (flat.length === 0) return this.rules.primitive("value");
    if (flat.length === 1 && isPureRef(flat[0]!)) return this.refRule(flat[0]!);
    const parts = inlineRefs(this.root, flat);
    const choice = parts.findIndex((part) => "anyOf" in part.schema || "oneOf" in part.schema);
    if (choice >= 0) return this.alternatives(parts, choice, label);
    return this.typed(mergeParts(parts, this.report), label);
  }

  /**
   * A rule for the referenced schema, shared by every reference to it. A reference back to a schema
   * whose rule has not written anything yet (through anyOf, allOf or nullable only) would be left
   * recursion, which llama.cpp refuses; it is reported here with its location instead.
   */
  private refRule(part: SchemaPart): string {
    const at = childPointer(part.pointer, "$ref");
    const target = resolveRef(this.root, part.schema.$ref, at);
    if (this.leftOpen.has(target.pointer)) throw new SchemaConversionError(at, `refers back to ${target.pointer} before anything is written (left recursion)`);
    const known = this.refRules.get(target.pointer);
    if (known !== undefined) return known;
    const name = this.rules.reserve(target.pointer.split("/").at(-1)!);
    this.refRules.set(target.pointer, name);
    this.leftOpen.add(target.pointer);
    this.rules.define(name, this.expression([target], name));
    this.leftOpen.delete(target.pointer);
    return name;
  }

  /** Builds what follows an opening `{` or `[`: from there on no reference is in left position. */
  private afterOpening(build: () => string): string {
    const saved = this.leftOpen;
    this.leftOpen = new Set();
    try {
      return build();
    } finally {
      this.leftOpen = saved;
    }
  }

  private alternatives(parts: readonly SchemaPart[], index: number, label: string): string {
    const part = parts[index]!;
    const keyword = "anyOf" in part.schema ? "anyOf" : "oneOf";
    const options = part.schema[keyword];
    const at = childPointer(part.pointer, keyword);
    if (!Array.isArray(options) || options.length === 0) throw new SchemaConversionError(at, `${keyword} must be a non-empty array`);
    const combinations = parts.reduce((product, other) => product * branchCount(other), 1);
    if (combinations > MAX_COMBINATIONS) throw new SchemaConversionError(at, `the branches here combine into more than ${MAX_COMBINATIONS} alternatives`);
    const others = [...parts.slice(0, index), without(part, keyword), ...parts.slice(index + 1)];
    return gbnfAlternatives(options.map((option, i) => this.visit([...others, {schema: option, pointer: childPointer(at, i)}], `${label}-${i}`)));
  }

  private typed(node: SchemaNode, label: string): string {
    for (const keyword of GENERAL_UNSUPPORTED) {
      const entry = node.keywords.get(keyword);
      if (entry !== undefined) this.report(entry.pointer, keyword, `${keyword} cannot be enforced by a grammar`);
    }
    if (node.values !== undefined) return this.literals(node);
    const types = node.types ?? node.inferredTypes;
    if (node.types === undefined && types.length === JSON_TYPES.length) return this.rules.primitive("value");
    const distinct = types.includes("number") ? types.filter((type) => type !== "integer") : types;
    return gbnfAlternatives(distinct.map((type) => this.typeExpression(type, node, label)));
  }

  private typeExpression(type: JsonType, node: SchemaNode, label: string): string {
    switch (type) {
      case "null": return gbnfLiteral("null");
      case "boolean": return this.rules.primitive("boolean");
      case "string": return stringExpression(node, label, this.rules, this.report);
      case "integer": case "number": return numberExpression(node, type === "integer", this.rules, this.report);
      case "object": return this.afterOpening(() => objectExpression(node, label, this));
      case "array": return this.afterOpening(() => arrayExpression(node, label, this));
    }
  }

  /** `enum`/`const` values as literals (keys sorted); `type` filters them. */
  private literals(node: SchemaNode): string {
    const types = node.types;
    const allowed = node.values!.filter((value) => {
      const type = jsonTypeOf(value);
      return types === undefined || types.includes(type) || (type === "integer" && types.includes("number"));
    });
    if (allowed.length === 0) throw new SchemaConversionError(node.pointer, "no enum or const value has an allowed type");
    const ws = allowed.some(isComposite) ? this.rules.primitive("ws") : "";
    return gbnfAlternatives(allowed.map((value) => jsonLiteral(value, ws)));
  }
}

function branchCount(part: SchemaPart): number {
  const count = (value: unknown): number => Array.isArray(value) ? Math.max(value.length, 1) : 1;
  return count(part.schema.anyOf) * count(part.schema.oneOf);
}
