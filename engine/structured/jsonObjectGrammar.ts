/**
 * The grammar for `response_format: {type: "json_object"}`: exactly one JSON object with any
 * content, with the same bounded whitespace as schema grammars and nothing after the closing brace.
 */
import {RuleSet} from "./RuleSet.ts";

function buildJsonObjectGrammar(): string {
  const rules = new RuleSet();
  rules.define("root", rules.primitive("object"));
  return rules.render();
}

/** GBNF matching one JSON object (any keys, any values) and nothing after it. */
export const JSON_OBJECT_GRAMMAR: string = buildJsonObjectGrammar();
