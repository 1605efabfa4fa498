/**
 * Rules for `object` schemas. Properties are written in declaration order; an optional one may be
 * left out, a required one never. Commas need care when leading properties are optional: the
 * grammar offers one branch per possible first property, each followed by the shared remainder.
 *
 *   "{" ws ( kv0 rest1 | kv1 rest2 | kv2 rest3 ) ws "}"      kv0, kv1 optional, kv2 required
 *   rest_i ::= ( "," ws kv_i )? rest_i+1                     kv_i optional
 *   rest_i ::= "," ws kv_i rest_i+1                          kv_i required
 *
 * Extra keys (when `additionalProperties` is true or a schema) come after the declared ones, as
 * strings that spell none of the declared names. `unevaluatedProperties` always holds: every
 * property the grammar writes is evaluated by `properties` or `additionalProperties`.
 */
import {gbnfAlternatives, gbnfGroup, gbnfLiteral, gbnfSequence} from "./gbnfText.ts";
import {keyExcludingNames} from "./objectKeys.ts";
import type {BuildContext, SchemaNode} from "./schemaNode.ts";

const UNSUPPORTED: readonly string[] = ["patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies"];

interface Member {
  readonly keyValue: string;
  readonly required: boolean;
}

/** GBNF for an `object` schema position. */
export function objectExpression(node: SchemaNode, label: string, context: BuildContext): string {
  for (const keyword of UNSUPPORTED) {
    const entry = node.keywords.get(keyword);
    if (entry !== undefined) context.report(entry.pointer, keyword, `${keyword} cannot be enforced by a grammar`);
  }
  checkPropertyCounts(node, context);
  const ws = context.rules.primitive("ws");
  const members: Member[] = node.properties.map((property) => ({
    keyValue: gbnfSequence([gbnfLiteral(`${JSON.stringify(property.name)}:`), ws, context.visit(property.parts, `${label}-${property.name}`)]),
    required: property.required
  }));
  const extra = node.additional === undefined ? undefined : extraMember(node, label, context);
  const tail = extra === undefined ? "" : `( "," ${ws} ${extra} )*`;
  const branches = firstBranches(members, tail, label, context);
  if (extra !== undefined && members.every((member) => !member.required)) branches.push(gbnfSequence([extra, tail]));
  if (branches.length === 0) return `"{" ${ws} "}"`;
  const content = gbnfGroup(gbnfAlternatives(branches));
  return members.some((member) => member.required)
    ? gbnfSequence(['"{"', ws, content, ws, '"}"'])
    : gbnfSequence(['"{"', ws, `( ${content} ${ws} )?`, '"}"']);
}

/** One branch per property that can come first: each optional one up to the first required one. */
function firstBranches(members: readonly Member[], tail: string, label: string, context: BuildContext): string[] {
  const branches: string[] = [];
  const lastFirst = members.findIndex((member) => member.required);
  const count = lastFirst < 0 ? members.length : lastFirst + 1;
  const shareRests = count > 1;
  for (let first = 0; first < count; first++) {
    branches.push(gbnfSequence([members[first]!.keyValue, rest(members, first + 1, tail, shareRests ? label : undefined, context)]));
  }
  return branches;
}

/** Members from `index` on, after at least one member was written; a rule of its own when shared. */
function rest(members: readonly Member[], index: number, tail: string, label: string | undefined, context: BuildContext): string {
  const ws = context.rules.primitive("ws");
  if (label === undefined) {
    const pieces = members.slice(index).map((member) => member.required ? `"," ${ws} ${member.keyValue}` : `( "," ${ws} ${member.keyValue} )?`);
    return gbnfSequence([...pieces, tail]);
  }
  if (index >= members.length) return tail;
  const member = members[index]!;
  const piece = member.required ? `"," ${ws} ${member.keyValue}` : `( "," ${ws} ${member.keyValue} )?`;
  return context.rules.add(`${label}-rest`, gbnfSequence([piece, rest(members, index + 1, tail, label, context)]));
}

function extraMember(node: SchemaNode, label: string, context: BuildContext): string {
  const key = keyExcludingNames(node.properties.map((property) => property.name), `${label}-extra-key`, context.rules);
  const value = context.visit(node.additional ?? [], `${label}-extra`);
  return context.rules.add(`${label}-extra`, gbnfSequence([key, '":"', context.rules.primitive("ws"), value]));
}

/** `minProperties`/`maxProperties` hold by construction or are reported. */
function checkPropertyCounts(node: SchemaNode, context: BuildContext): void {
  const always = node.properties.filter((property) => property.required).length;
  const most = node.additional === undefined ? node.properties.length : Infinity;
  const min = node.keywords.get("minProperties");
  const max = node.keywords.get("maxProperties");
  if (min !== undefined && !(typeof min.value === "number" && min.value <= always)) {
    context.report(min.pointer, "minProperties", "minProperties beyond the required properties cannot be enforced");
  }
  if (max !== undefined && !(typeof max.value === "number" && max.value >= most)) {
    context.report(max.pointer, "maxProperties", "maxProperties below the possible properties cannot be enforced");
  }
}
