/**
 * Rules for `array` schemas: `items`, tuples (`prefixItems`, or draft-7 `items` arrays with
 * `additionalItems`), `minItems` and `maxItems`. Positions below `minItems` are required, later
 * ones optional, each optional position nesting the ones after it:
 *
 *   "[" ws p0 ( "," ws p1 ( "," ws item ( "," ws item ){0,3} )? )? ws "]"
 */
import {gbnfRepeat, gbnfSequence} from "./gbnfText.ts";
import type {BuildContext, SchemaNode} from "./schemaNode.ts";
import {MAX_REPETITION} from "./stringRules.ts";
import {SchemaConversionError} from "./types.ts";

const UNSUPPORTED: readonly string[] = ["contains", "minContains", "maxContains", "unevaluatedItems"];

interface Layout {
  readonly positions: readonly string[];
  /** The rule of items after the positions; undefined when none may follow. */
  readonly rest: string | undefined;
  readonly min: number;
  readonly max: number;
}

function readCount(node: SchemaNode, keyword: string, context: BuildContext): number | undefined {
  const entry = node.keywords.get(keyword);
  if (entry === undefined) return undefined;
  if (typeof entry.value !== "number" || !Number.isInteger(entry.value) || entry.value < 0) {
    throw new SchemaConversionError(entry.pointer, `${keyword} must be a non-negative integer`);
  }
  if (entry.value <= MAX_REPETITION) return entry.value;
  context.report(entry.pointer, keyword, `${keyword} above ${MAX_REPETITION} is not supported`);
  return undefined;
}

/** GBNF for an `array` schema position. */
export function arrayExpression(node: SchemaNode, label: string, context: BuildContext): string {
  for (const keyword of UNSUPPORTED) {
    const entry = node.keywords.get(keyword);
    if (entry !== undefined) context.report(entry.pointer, keyword, `${keyword} cannot be enforced by a grammar`);
  }
  const unique = node.keywords.get("uniqueItems");
  if (unique !== undefined && unique.value === true) context.report(unique.pointer, "uniqueItems", "uniqueItems cannot be enforced by a grammar");
  const positions = (node.prefixItems ?? []).map((parts, index) => context.visit(parts, `${label}-${index}`));
  const rest = node.items === undefined ? undefined : context.visit(node.items, `${label}-item`);
  const min = readCount(node, "minItems", context) ?? 0;
  const max = Math.min(readCount(node, "maxItems", context) ?? Infinity, rest === undefined ? positions.length : Infinity);
  if (min > max) throw new SchemaConversionError(node.pointer, `no array satisfies minItems ${min} with at most ${max} items`);
  const ws = context.rules.primitive("ws");
  if (max === 0) return gbnfSequence(['"["', ws, '"]"']);
  const items = itemsFrom({positions, rest, min, max}, 0, ws);
  return min === 0 ? gbnfSequence(['"["', ws, `( ${items} ${ws} )?`, '"]"']) : gbnfSequence(['"["', ws, items, ws, '"]"']);
}

/** Items from `index` on, the one at `index` present; later ones as minItems and maxItems allow. */
function itemsFrom(layout: Layout, index: number, ws: string): string {
  const separator = index > 0 ? `"," ${ws}` : "";
  if (index >= layout.positions.length) {
    const rest = layout.rest!;
    const more = gbnfRepeat(`( "," ${ws} ${rest} )`, Math.max(0, layout.min - index - 1), layout.max - index - 1);
    return gbnfSequence([separator, rest, more]);
  }
  const next = index + 1;
  const following = next >= layout.max ? "" : next < layout.min ? itemsFrom(layout, next, ws) : `( ${itemsFrom(layout, next, ws)} )?`;
  return gbnfSequence([separator, layout.positions[index]!, following]);
}
