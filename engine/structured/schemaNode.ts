/**
 * The merged view of one schema position that the type builders read, and the small helpers for
 * `type` values. Built by mergeParts from a conjunction of located parts.
 */
import type {Located} from "./jsonPointer.ts";
import {JSON_TYPES, type JsonType} from "./keywords.ts";
import type {RuleSet} from "./RuleSet.ts";
import {SchemaConversionError} from "./types.ts";

/** Reports a keyword the grammar cannot enforce: throws under strict mode, records it otherwise. */
export type KeywordReporter = (pointer: string, keyword: string, reason: string) => void;

/** A keyword's merged value and where it came from. */
export interface Keyword {
  readonly value: unknown;
  readonly pointer: string;
}

/** A property an object may carry, with the conjunction its value must satisfy. */
export interface PropertySpec {
  readonly name: string;
  /** Empty: any value. */
  readonly parts: readonly Located[];
  readonly required: boolean;
}

/** One schema position after merging its parts. */
export interface SchemaNode {
  readonly pointer: string;
  /** Every constraining keyword except the structural ones below, with the tightest bound kept. */
  readonly keywords: ReadonlyMap<string, Keyword>;
  /** From `type`; undefined when no part says. */
  readonly types: readonly JsonType[] | undefined;
  /** From the keywords present, for a node without `type` (every type when none hints). */
  readonly inferredTypes: readonly JsonType[];
  /** From `enum` and `const` (intersected); undefined when no part says. */
  readonly values: readonly unknown[] | undefined;
  /** Properties in declaration order, then required names no part declares. */
  readonly properties: readonly PropertySpec[];
  /** Extra keys allowed, their value's conjunction ([] for any value); undefined when the grammar emits none. */
  readonly additional: readonly Located[] | undefined;
  /** True when some part has `additionalProperties: false`. */
  readonly extrasForbidden: boolean;
  /** Tuple positions, each a conjunction; undefined when there is no tuple. */
  readonly prefixItems: readonly (readonly Located[])[] | undefined;
  /** Items after the tuple (or all items): a conjunction, [] for any; undefined when none may follow. */
  readonly items: readonly Located[] | undefined;
}

/** Reads a `type` value (a name or an array of names). */
export function readTypes(value: unknown, pointer: string): readonly JsonType[] {
  const names = Array.isArray(value) ? value : [value];
  for (const name of names) {
    if (!JSON_TYPES.includes(name as JsonType)) throw new SchemaConversionError(pointer, `unknown type ${JSON.stringify(name)}`);
  }
  return [...new Set(names as JsonType[])];
}

/** Intersection of two type lists, where "integer" is part of "number". */
export function mergeTypes(a: readonly JsonType[], b: readonly JsonType[]): readonly JsonType[] {
  const result = a.filter((type) => b.includes(type));
  const integerMeetsNumber = (a.includes("integer") && b.includes("number")) || (a.includes("number") && b.includes("integer"));
  if (integerMeetsNumber && !result.includes("integer")) result.push("integer");
  return result;
}

/** What a type builder may call back into: the rules, the reporter and the converter itself. */
export interface BuildContext {
  readonly rules: RuleSet;
  readonly report: KeywordReporter;
  /** A single GBNF symbol for the conjunction of `parts` ([] for any JSON value). */
  visit(parts: readonly Located[], label: string): string;
}
