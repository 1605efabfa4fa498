/**
 * Records of the JSON-Schema-to-GBNF converter: its options, its result and its error.
 */

/** How the converter treats keywords it cannot enforce. */
export interface ConversionOptions {
  /**
   * true: an unsupported keyword is an error ({@link SchemaConversionError}), so the grammar never
   * admits a value the schema would reject. false: the keyword is dropped, listed in
   * `droppedKeywords`, and the grammar enforces the rest.
   */
  readonly strict: boolean;
}

/** A keyword the converter left out (non-strict mode only). */
export interface DroppedKeyword {
  /** JSON pointer (URI fragment form) of the keyword, e.g. `#/properties/age/multipleOf`. */
  readonly pointer: string;
  readonly keyword: string;
}

/** The result of a conversion. */
export interface ConversionResult {
  /** GBNF text whose `root` rule matches exactly one JSON value and nothing after it. */
  readonly grammar: string;
  readonly droppedKeywords: readonly DroppedKeyword[];
}

/**
 * A schema that cannot be turned into a grammar: unsupported under strict mode, or invalid or
 * unresolvable in either mode. `pointer` locates the offending keyword or subschema.
 */
export class SchemaConversionError extends Error {
  override readonly name = "SchemaConversionError";

  constructor(readonly pointer: string, readonly reason: string) {
    super(`${pointer}: ${reason}`);
  }
}
