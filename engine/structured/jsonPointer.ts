/**
 * JSON pointers in URI-fragment form (`#/properties/a~1b`), as used for `$ref` targets and for the
 * locations the converter reports. Only same-document references resolve: a `$ref` to another
 * document or to an `$anchor` has nothing to fetch it from.
 */
import {SchemaConversionError} from "./types.ts";

/** A subschema together with where it sits in the root document. */
export interface Located {
  readonly schema: unknown;
  readonly pointer: string;
}

/** The pointer of `segments` below `pointer`, escaping `~` and `/` as RFC 6901 asks. */
export function childPointer(pointer: string, ...segments: readonly (string | number)[]): string {
  return segments.reduce<string>((path, segment) => `${path}/${String(segment).replace(/~/g, "~0").replace(/\//g, "~1")}`, pointer);
}

function decodeSegment(segment: string, ref: string, at: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new SchemaConversionError(at, `$ref ${JSON.stringify(ref)} is not a valid JSON pointer`);
  }
  return decoded.replace(/~1/g, "/").replace(/~0/g, "~");
}

/**
 * Resolves a same-document `$ref` (`#`, `#/$defs/X`, `#/definitions/X`, any `#/...` pointer) against
 * the root schema. `at` is the pointer of the `$ref` keyword, for the error when it does not resolve.
 */
export function resolveRef(root: unknown, ref: unknown, at: string): Located {
  if (typeof ref !== "string") throw new SchemaConversionError(at, "$ref must be a string");
  if (ref !== "#" && !ref.startsWith("#/")) throw new SchemaConversionError(at, `cannot resolve $ref ${JSON.stringify(ref)}: only same-document references ("#/...") are supported`);
  let node: unknown = root;
  let pointer = "#";
  for (const raw of ref === "#" ? [] : ref.slice(2).split("/")) {
    const segment = decodeSegment(raw, ref, at);
    const next = lookUp(node, segment);
    if (next === undefined) throw new SchemaConversionError(at, `cannot resolve $ref ${JSON.stringify(ref)}: nothing at ${childPointer(pointer, segment)}`);
    node = next;
    pointer = childPointer(pointer, segment);
  }
  return {schema: node, pointer};
}

function lookUp(node: unknown, segment: string): unknown {
  if (Array.isArray(node)) return /^(0|[1-9][0-9]*)$/.test(segment) ? node[Number(segment)] : undefined;
  if (typeof node === "object" && node !== null && Object.hasOwn(node, segment)) return (node as Record<string, unknown>)[segment];
  return undefined;
}
