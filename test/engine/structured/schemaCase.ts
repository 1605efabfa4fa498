/**
 * Test utility: the shape of an acceptance case. Valid values are written compactly and
 * pretty-printed (two spaces, and tabs) and must be accepted in full and completed; invalid values
 * (which ajv must reject too) and rejected texts must be refused somewhere.
 */
export interface SchemaCase {
  readonly name: string;
  readonly schema: unknown;
  /** JSON values the schema accepts, with object keys in declaration order. */
  readonly valid: readonly unknown[];
  /** Exact texts that must be accepted (spacing, escapes). */
  readonly validTexts?: readonly string[];
  /** JSON values the schema rejects. */
  readonly invalid?: readonly unknown[];
  /** Texts the grammar must refuse: not JSON, or JSON the grammar spells differently on purpose. */
  readonly rejectedTexts?: readonly string[];
}

/** The texts a valid value is tried as. */
export function spellings(value: unknown): string[] {
  return [...new Set([JSON.stringify(value), JSON.stringify(value, null, 2), JSON.stringify(value, null, "\t")])];
}
