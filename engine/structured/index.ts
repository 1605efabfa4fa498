/**
 * Structured outputs: JSON Schema to llama.cpp grammar, the `json_object` grammar, and a cache for
 * compiled grammars keyed by the schema's canonical form.
 */
export {canonicalSchemaText, grammarCacheKey} from "./canonicalSchema.ts";
export {GrammarCache, type GrammarCacheOptions} from "./GrammarCache.ts";
export {JSON_OBJECT_GRAMMAR} from "./jsonObjectGrammar.ts";
export {jsonSchemaToGbnf} from "./jsonSchemaToGbnf.ts";
export {SUPPORTED_FORMATS} from "./stringRules.ts";
export {type ConversionOptions, type ConversionResult, type DroppedKeyword, SchemaConversionError} from "./types.ts";
