/**
 * Turns a request's `response_format` into the engine's decoding constraint: `json_object` is the
 * grammar of one JSON object, `json_schema` the grammar our converter builds from the schema. With
 * `strict: true` a keyword the grammar cannot enforce is a 400 naming its JSON pointer; without it
 * the keyword is dropped and reported, so the plan can log it. Conversions are cached by the schema's
 * canonical form, so a client that sends the same schema every time pays for it once.
 */
import {
  type DroppedKeyword, GrammarCache, grammarCacheKey, JSON_OBJECT_GRAMMAR, jsonSchemaToGbnf, SchemaConversionError
} from "../../engine/structured/index.ts";
import type {GrammarSpec} from "../../engine/types.ts";
import {ApiError} from "../errors.ts";
import type {ResponseFormat} from "../schemas/responseFormat.ts";

/** A response format the engine enforces. */
export interface PlannedConstraint {
  readonly kind: "json_object" | "json_schema" | "tools";
  readonly grammar: GrammarSpec;
  /** Schema keywords left out of the grammar (non-strict schemas only). */
  readonly droppedKeywords: readonly DroppedKeyword[];
}

/** Distinct schemas whose conversions are kept. */
const MAX_CACHED_CONVERSIONS = 256;

const SCHEMA_PARAM = "response_format.json_schema.schema";

const JSON_OBJECT: PlannedConstraint = {kind: "json_object", grammar: {text: JSON_OBJECT_GRAMMAR, cacheKey: "json_object"}, droppedKeywords: []};

const conversions = new GrammarCache<PlannedConstraint>({maxEntries: MAX_CACHED_CONVERSIONS});

/** The constraint of a response format; undefined for free text. Throws a 400 for a schema it cannot enforce. */
export function constraintOf(format: ResponseFormat | null | undefined): PlannedConstraint | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return JSON_OBJECT;
  const schema = format.json_schema.schema ?? {};
  const options = {strict: format.json_schema.strict === true};
  const key = grammarCacheKey(schema, options);
  return conversions.getOrCreate(key, () => {
    let converted;
    try {
      converted = jsonSchemaToGbnf(schema, options);
    } catch (error) {
      if (!(error instanceof SchemaConversionError)) throw error;
      throw new ApiError(400, `the JSON schema cannot be enforced: ${error.message}`, "invalid_request_error", SCHEMA_PARAM, "unsupported_schema");
    }
    return {kind: "json_schema", grammar: {text: converted.grammar, cacheKey: key}, droppedKeywords: converted.droppedKeywords};
  });
}
