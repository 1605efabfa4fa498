/**
 * Test utility: ajv (with ajv-formats) as the reference validator, so the test data itself is
 * checked: every document a test calls valid must satisfy the schema, and every value it calls
 * invalid must not.
 */
import {Ajv, type ValidateFunction} from "ajv";
import {Ajv2020} from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on .default.
const addFormats = ((addFormatsModule as unknown as {default?: unknown}).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const draft07 = addFormats(new Ajv({strict: false, allErrors: false}));
const draft2020 = addFormats(new Ajv2020({strict: false, allErrors: false}) as unknown as Ajv);

/** Compiles `schema` for its draft (2020-12 unless it says draft-07, which tuples as `items` arrays need). */
export function compileValidator(schema: unknown): ValidateFunction {
  const isDraft07 = typeof schema === "object" && schema !== null && String((schema as {$schema?: unknown}).$schema ?? "").includes("draft-07");
  return (isDraft07 ? draft07 : draft2020).compile(schema as object | boolean);
}
