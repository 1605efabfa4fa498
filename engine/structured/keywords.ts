/**
 * What the converter knows about JSON Schema keywords: which ones constrain values, which instance
 * type each belongs to, and which no grammar here can enforce. Every other keyword is
 * ignored in both modes: annotations (title, description, default, examples, $comment, deprecated,
 * readOnly, writeOnly, $schema, $id, ...), the `$defs`/`definitions` containers (reached only
 * through `$ref`), and keywords nobody has defined, which JSON Schema validators ignore too.
 */

/** JSON Schema instance types. */
export type JsonType = "null" | "boolean" | "object" | "array" | "string" | "number" | "integer";

/** Every instance type. */
export const JSON_TYPES: readonly JsonType[] = ["null", "boolean", "object", "array", "string", "number", "integer"];

/** Keywords that apply to every instance type. */
export const GENERAL_KEYWORDS: ReadonlySet<string> = new Set(["type", "enum", "const", "nullable", "anyOf", "oneOf", "allOf", "$ref"]);

/** Keywords no grammar here enforces, whatever the instance type. */
export const GENERAL_UNSUPPORTED: ReadonlySet<string> = new Set(["not", "if", "then", "else", "$dynamicRef", "$recursiveRef"]);

/** Keywords of each instance family, used to infer a missing `type`. */
export const FAMILY_KEYWORDS: Readonly<Record<"object" | "array" | "string" | "number", ReadonlySet<string>>> = {
  object: new Set(["properties", "required", "additionalProperties", "unevaluatedProperties", "minProperties", "maxProperties",
    "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies"]),
  array: new Set(["items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains", "minContains",
    "maxContains", "unevaluatedItems"]),
  string: new Set(["minLength", "maxLength", "pattern", "format"]),
  number: new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"])
};

/** True for keywords that can make a value invalid (known ones only; see the file header). */
export function isConstraining(keyword: string): boolean {
  return GENERAL_KEYWORDS.has(keyword) || GENERAL_UNSUPPORTED.has(keyword) ||
    Object.values(FAMILY_KEYWORDS).some((family) => family.has(keyword));
}

/** A plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The instance types a schema without `type` can take, from the keywords it carries. */
export function inferTypes(keywords: Iterable<string>): readonly JsonType[] {
  const types = new Set<JsonType>();
  for (const keyword of keywords) {
    for (const [family, members] of Object.entries(FAMILY_KEYWORDS)) if (members.has(keyword)) types.add(family as JsonType);
  }
  return types.size === 0 ? JSON_TYPES : [...types];
}

/** The JSON type of a parsed JSON value ("integer" for whole numbers). */
export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as "boolean" | "object" | "string";
}
