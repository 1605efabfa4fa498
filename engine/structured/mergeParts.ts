/**
 * Merges a conjunction of schema parts into one node: the keywords the type builders read, the
 * object's properties and the array's positions, each still located in the original document. This
 * is `allOf` with the semantics JSON Schema gives it: a property one part declares and another part
 * forbids (`additionalProperties: false`) is dropped, and one that another part admits only through
 * its `additionalProperties` schema must satisfy that schema too.
 */
import {canonicalJson} from "./canonicalSchema.ts";
import type {SchemaPart} from "./conjunction.ts";
import {childPointer, type Located} from "./jsonPointer.ts";
import {inferTypes, isConstraining, isPlainObject, type JsonType} from "./keywords.ts";
import {type Keyword, type KeywordReporter, mergeTypes, type PropertySpec, readTypes, type SchemaNode} from "./schemaNode.ts";
import {SchemaConversionError} from "./types.ts";

const LOWER_BOUNDS: ReadonlySet<string> = new Set(["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"]);
const UPPER_BOUNDS: ReadonlySet<string> = new Set(["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"]);
const STRUCTURAL: ReadonlySet<string> = new Set(["type", "enum", "const", "properties", "additionalProperties", "required", "items", "prefixItems", "additionalItems"]);

/** Merges the parts (flattened, refs inlined, no anyOf/oneOf left) into one node. */
export function mergeParts(parts: readonly SchemaPart[], report: KeywordReporter): SchemaNode {
  return {
    pointer: parts[0]?.pointer ?? "#",
    keywords: mergedKeywords(parts, report),
    types: mergedTypes(parts),
    inferredTypes: inferTypes(parts.flatMap((part) => Object.keys(part.schema))),
    values: mergedValues(parts),
    ...mergedObject(parts),
    ...mergedArray(parts, report)
  };
}

function mergedKeywords(parts: readonly SchemaPart[], report: KeywordReporter): Map<string, Keyword> {
  const keywords = new Map<string, Keyword>();
  for (const part of parts) {
    for (const [keyword, value] of Object.entries(part.schema)) {
      if (STRUCTURAL.has(keyword) || !isConstraining(keyword)) continue;
      const pointer = childPointer(part.pointer, keyword);
      const earlier = keywords.get(keyword);
      const isBound = LOWER_BOUNDS.has(keyword) || UPPER_BOUNDS.has(keyword);
      if (earlier === undefined) keywords.set(keyword, {value, pointer});
      else if (isBound && typeof value === "number" && typeof earlier.value === "number") {
        const tighter = LOWER_BOUNDS.has(keyword) ? value > earlier.value : value < earlier.value;
        if (tighter) keywords.set(keyword, {value, pointer});
      } else if (canonicalJson(value) !== canonicalJson(earlier.value)) {
        report(pointer, keyword, `differs from ${earlier.pointer}, and the two cannot be merged`);
      }
    }
  }
  return keywords;
}

function mergedTypes(parts: readonly SchemaPart[]): readonly JsonType[] | undefined {
  let types: readonly JsonType[] | undefined;
  for (const part of parts) {
    if (part.schema.type === undefined) continue;
    const pointer = childPointer(part.pointer, "type");
    const own = readTypes(part.schema.type, pointer);
    types = types === undefined ? own : mergeTypes(types, own);
    if (types.length === 0) throw new SchemaConversionError(pointer, "no type satisfies every member of the allOf");
  }
  return types;
}

function mergedValues(parts: readonly SchemaPart[]): readonly unknown[] | undefined {
  let values: unknown[] | undefined;
  for (const part of parts) {
    for (const keyword of ["enum", "const"] as const) {
      if (!(keyword in part.schema)) continue;
      const pointer = childPointer(part.pointer, keyword);
      const own = keyword === "const" ? [part.schema.const] : part.schema.enum;
      if (!Array.isArray(own)) throw new SchemaConversionError(pointer, "enum must be an array");
      const ownTexts = new Set(own.map(canonicalJson));
      values = values === undefined ? [...own] : values.filter((value) => ownTexts.has(canonicalJson(value)));
      if (values.length === 0) throw new SchemaConversionError(pointer, "no value satisfies every enum and const here");
    }
  }
  return values;
}

type ObjectFields = Pick<SchemaNode, "properties" | "additional" | "extrasForbidden">;

function mergedObject(parts: readonly SchemaPart[]): ObjectFields {
  const required = new Set<string>();
  const names: string[] = [];
  for (const part of parts) {
    const ownRequired = part.schema.required ?? [];
    if (!Array.isArray(ownRequired) || ownRequired.some((name) => typeof name !== "string")) {
      throw new SchemaConversionError(childPointer(part.pointer, "required"), "required must be an array of strings");
    }
    for (const name of ownRequired as string[]) required.add(name);
    const declared = part.schema.properties ?? {};
    if (!isPlainObject(declared)) throw new SchemaConversionError(childPointer(part.pointer, "properties"), "properties must be an object");
    for (const name of Object.keys(declared)) if (!names.includes(name)) names.push(name);
  }
  for (const name of required) if (!names.includes(name)) names.push(name);
  const properties = names.flatMap((name) => propertySpec(name, parts, required.has(name)) ?? []);
  const extrasForbidden = parts.some((part) => part.schema.additionalProperties === false);
  const admits: Located[] = parts.filter((part) => part.schema.additionalProperties !== undefined)
    .map((part) => ({schema: part.schema.additionalProperties, pointer: childPointer(part.pointer, "additionalProperties")}));
  // Absent additionalProperties admits no extra keys, except on an object that declares no key at all
  // (a free-form `{"type": "object"}`), which would otherwise only ever be `{}`.
  const freeForm = names.length === 0 && !extrasForbidden;
  return {properties, extrasForbidden, additional: !extrasForbidden && (admits.length > 0 || freeForm) ? admits : undefined};
}

/** What a property's value must satisfy, or undefined when an optional name is forbidden by a part. */
function propertySpec(name: string, parts: readonly SchemaPart[], required: boolean): PropertySpec | undefined {
  const located: Located[] = [];
  for (const part of parts) {
    const declared = part.schema.properties as Record<string, unknown> | undefined;
    const additional = part.schema.additionalProperties;
    if (declared !== undefined && Object.hasOwn(declared, name)) {
      located.push({schema: declared[name], pointer: childPointer(part.pointer, "properties", name)});
    } else if (additional === false) {
      if (!required) return undefined;
      throw new SchemaConversionError(childPointer(part.pointer, "additionalProperties"), `required property ${JSON.stringify(name)} is not allowed here`);
    } else if (additional !== undefined) {
      located.push({schema: additional, pointer: childPointer(part.pointer, "additionalProperties")});
    }
  }
  return {name, parts: located, required};
}

interface ArrayView {
  /** Tuple positions and the keyword that declared them. */
  readonly prefix: readonly Located[] | undefined;
  readonly prefixPointer: string;
  /** Items after the tuple (or all items): a conjunction, [] for any; undefined when none may follow. */
  readonly rest: readonly Located[] | undefined;
}

function arrayView(part: SchemaPart): ArrayView {
  const {prefixItems, items} = part.schema;
  const tupleKeyword = Array.isArray(prefixItems) ? "prefixItems" : Array.isArray(items) ? "items" : undefined;
  const restKeyword = tupleKeyword === "items" ? "additionalItems" : "items";
  const restSchema = part.schema[restKeyword];
  const prefixPointer = childPointer(part.pointer, tupleKeyword ?? "prefixItems");
  const prefix = tupleKeyword === undefined ? undefined
    : (part.schema[tupleKeyword] as unknown[]).map((schema, index) => ({schema, pointer: childPointer(prefixPointer, index)}));
  // After a tuple, an absent rest means none (the grammar emits the tuple only); without one, any items.
  const none = restSchema === false || (restSchema === undefined && prefix !== undefined);
  const rest = none ? undefined : restSchema === undefined ? [] : [{schema: restSchema, pointer: childPointer(part.pointer, restKeyword)}];
  return {prefix, prefixPointer, rest};
}

type ArrayFields = Pick<SchemaNode, "prefixItems" | "items">;

function mergedArray(parts: readonly SchemaPart[], report: KeywordReporter): ArrayFields {
  const views = parts.map(arrayView);
  const tuples = views.filter((view) => view.prefix !== undefined);
  for (const extra of tuples.slice(1)) report(extra.prefixPointer, extra.prefixPointer.split("/").at(-1)!, "two tuple definitions in one allOf cannot be merged");
  let items: Located[] | undefined = [];
  for (const view of views) items = items === undefined || view.rest === undefined ? undefined : [...items, ...view.rest];
  const tuple = tuples[0];
  if (tuple?.prefix === undefined) return {prefixItems: undefined, items};
  // Another part admitting no items at all leaves no tuple position either.
  if (views.some((view) => view !== tuple && view.rest === undefined)) return {prefixItems: [], items: undefined};
  // Each tuple position must also satisfy what the other parts require of every item.
  const othersRest = views.filter((view) => view !== tuple).flatMap((view) => view.rest ?? []);
  return {prefixItems: tuple.prefix.map((position) => [position, ...othersRest]), items};
}
