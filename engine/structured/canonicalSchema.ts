/**
 * Canonical text of a schema, to key a cache of compiled grammars: JSON with object keys sorted, so
 * that schemas differing only in key order share one grammar. The members of a `properties` (or
 * `patternProperties`) map keep their order, because properties are emitted in declaration order
 * and a different order is a different grammar. Sorting fewer objects than possible only costs cache
 * hits, never a wrong hit.
 */
import {createHash} from "node:crypto";
import type {ConversionOptions} from "./types.ts";

const ORDERED_MAPS: ReadonlySet<string> = new Set(["properties", "patternProperties"]);

function canonicalValue(value: unknown, keepOrder: boolean, schemaAware: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => canonicalValue(item, false, schemaAware));
  if (typeof value !== "object" || value === null) return value;
  const keys = Object.keys(value);
  if (!keepOrder) keys.sort();
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const keepChildOrder = schemaAware && !keepOrder && ORDERED_MAPS.has(key);
    result[key] = canonicalValue((value as Record<string, unknown>)[key], keepChildOrder, schemaAware);
  }
  return result;
}

/** JSON with every object's keys sorted, to compare `const` and `enum` members. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value, false, false));
}

/** The canonical JSON text of a schema (see the file header for what is and is not reordered). */
export function canonicalSchemaText(schema: unknown): string {
  return JSON.stringify(canonicalValue(schema, false, true)) ?? "undefined";
}

/** A fixed-length cache key for the grammar of `schema` converted with `options`. */
export function grammarCacheKey(schema: unknown, options: ConversionOptions): string {
  return createHash("sha256").update(`${options.strict ? "strict" : "lenient"}\n${canonicalSchemaText(schema)}`).digest("hex");
}
