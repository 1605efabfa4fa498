/**
 * GBNF for one fixed JSON value (an `enum` member or a `const`): scalars as their JSON text, objects
 * and arrays spelled out with the same optional whitespace as everywhere else, so a model that
 * pretty-prints the whole document may pretty-print a constant too. Object keys are sorted, as in
 * the canonical schema text, so equal schemas give equal grammars.
 */
import {gbnfLiteral, gbnfSequence} from "./gbnfText.ts";

/** GBNF for `value`; `ws` is the whitespace rule's name. */
export function jsonLiteral(value: unknown, ws: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return gbnfSequence(['"["', ws, '"]"']);
    const items = value.map((item, index) => gbnfSequence([index > 0 ? `"," ${ws}` : "", jsonLiteral(item, ws)]));
    return gbnfSequence(['"["', ws, ...items, ws, '"]"']);
  }
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return gbnfSequence(['"{"', ws, '"}"']);
    const members = keys.map((key, index) => gbnfSequence([
      index > 0 ? `"," ${ws}` : "",
      gbnfLiteral(`${JSON.stringify(key)}:`),
      ws,
      jsonLiteral((value as Record<string, unknown>)[key], ws)
    ]));
    return gbnfSequence(['"{"', ws, ...members, ws, '"}"']);
  }
  return gbnfLiteral(JSON.stringify(value));
}

/** True when the value needs whitespace rules (an object or array). */
export function isComposite(value: unknown): boolean {
  return typeof value === "object" && value !== null;
}
