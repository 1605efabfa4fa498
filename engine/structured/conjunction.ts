/**
 * A schema position as a conjunction of parts: `allOf` members, a `$ref` with constraining siblings,
 * and the rest of the schema that holds them. Flattening turns `true` into nothing, `false` into an
 * error, and rewrites two legacy spellings per part so later stages see one form: OpenAPI's
 * `nullable: true` (adds null to `type`, inferred from the keywords when absent) and draft-4 boolean
 * `exclusiveMinimum`/`exclusiveMaximum` (become the numeric draft-6 form).
 */
import {childPointer, type Located, resolveRef} from "./jsonPointer.ts";
import {inferTypes, isConstraining, isPlainObject, JSON_TYPES} from "./keywords.ts";
import {SchemaConversionError} from "./types.ts";

/** An object schema part with its location; keyword pointers are `pointer + "/" + keyword`. */
export interface SchemaPart extends Located {
  readonly schema: Readonly<Record<string, unknown>>;
}

/** Refs followed inline (inside `allOf` or beside other keywords) before giving up on a cycle. */
const MAX_INLINE_REF_DEPTH = 32;

/** The part without one keyword (same location, so the other keywords keep their pointers). */
export function without(part: SchemaPart, keyword: string): SchemaPart {
  const {[keyword]: _dropped, ...rest} = part.schema;
  return {schema: rest, pointer: part.pointer};
}

/** True when the part constrains values at all (not only annotations or unknown keywords). */
export function hasConstraints(part: SchemaPart): boolean {
  return Object.keys(part.schema).some(isConstraining);
}

/** True for `{"$ref": ...}` with nothing beside it but annotations. */
export function isPureRef(part: SchemaPart): boolean {
  return "$ref" in part.schema && Object.keys(part.schema).every((key) => key === "$ref" || !isConstraining(key));
}

function normalize(part: SchemaPart): SchemaPart {
  const schema: Record<string, unknown> = {...part.schema};
  if (schema.nullable === true) {
    const inferred = inferTypes(Object.keys(schema));
    const types = schema.type !== undefined ? [schema.type].flat() : inferred.length < JSON_TYPES.length ? inferred : undefined;
    // As OpenAPI 3.0.3 (and ajv) read it: null joins the types, but an enum or const must list it.
    if (types !== undefined) schema.type = [...types, "null"];
    // Without any type (a $ref, an anyOf beside it), "nullable" stays for the converter to add a null branch.
    if (types !== undefined || "enum" in schema || "const" in schema) delete schema.nullable;
  } else {
    delete schema.nullable;
  }
  for (const [flag, bound] of [["exclusiveMinimum", "minimum"], ["exclusiveMaximum", "maximum"]] as const) {
    if (typeof schema[flag] !== "boolean") continue;
    if (schema[flag] === true && schema[bound] !== undefined) {
      schema[flag] = schema[bound];
      delete schema[bound];
    } else {
      delete schema[flag];
    }
  }
  return {schema, pointer: part.pointer};
}

/** Expands `allOf`, drops `true`, rejects `false` and non-objects, normalizes legacy spellings. */
export function flattenParts(parts: readonly Located[]): SchemaPart[] {
  const result: SchemaPart[] = [];
  for (const {schema, pointer} of parts) {
    if (schema === true) continue;
    if (schema === false) throw new SchemaConversionError(pointer, "the schema false admits no value here");
    if (!isPlainObject(schema)) throw new SchemaConversionError(pointer, "a schema must be an object or a boolean");
    const part = normalize({schema, pointer});
    const allOf = part.schema.allOf;
    if (allOf === undefined) {
      result.push(part);
      continue;
    }
    if (!Array.isArray(allOf) || allOf.length === 0) throw new SchemaConversionError(childPointer(pointer, "allOf"), "allOf must be a non-empty array");
    result.push(without(part, "allOf"), ...flattenParts(allOf.map((member, index) => ({schema: member, pointer: childPointer(pointer, "allOf", index)}))));
  }
  return result.filter(hasConstraints);
}

/**
 * Replaces every `$ref` by its target, merged into the conjunction. Used only where a reference
 * cannot stay a rule of its own (beside other constraints); a cycle through such places is refused.
 */
export function inlineRefs(root: unknown, parts: readonly SchemaPart[], depth = 0): SchemaPart[] {
  if (!parts.some((part) => "$ref" in part.schema)) return [...parts];
  const expanded: SchemaPart[] = [];
  for (const part of parts) {
    if (!("$ref" in part.schema)) {
      expanded.push(part);
      continue;
    }
    const at = childPointer(part.pointer, "$ref");
    if (depth >= MAX_INLINE_REF_DEPTH) throw new SchemaConversionError(at, "a recursive $ref beside other keywords (or inside allOf) cannot be merged");
    expanded.push(...flattenParts([without(part, "$ref"), resolveRef(root, part.schema.$ref, at)]));
  }
  return inlineRefs(root, expanded, depth + 1);
}
