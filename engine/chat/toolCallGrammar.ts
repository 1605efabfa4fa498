/**
 * The grammar that makes a model call tools, in its family's own syntax, with each tool's arguments
 * following its JSON Schema (the structured-output converter): "required" allows one or more calls of
 * any tool (exactly one without parallel calls), a named choice exactly one call of that tool, and
 * "auto" text that cannot contain a call marker, then optionally calls, so a tool with `strict`
 * arguments is enforced whenever the model opens a call. Once the calls are complete only end-of-generation remains. Owns the grammar text.
 */
import {gbnfClass, gbnfLiteral} from "../structured/gbnfText.ts";
import {jsonSchemaToGbnf} from "../structured/jsonSchemaToGbnf.ts";
import {prefixRules} from "../structured/prefixRules.ts";
import type {ToolCallSyntax} from "./toolCallSyntax.ts";
import type {ToolDefinition} from "./types.ts";

export type ToolCallMode = "auto" | "required" | {readonly name: string};

export interface ToolCallGrammarOptions {
  readonly mode: ToolCallMode;
  /** False: at most one call (`parallel_tool_calls: false`); a named choice always makes one. */
  readonly isParallel: boolean;
}

/** Arguments of a tool: its schema's grammar, or any JSON object when it has none. */
function argumentsGrammar(tool: ToolDefinition): string {
  const schema = tool.parameters ?? {type: "object"};
  return jsonSchemaToGbnf(schema, {strict: tool.isStrict === true}).grammar;
}

/** One call of `tool` in the family's syntax, as a rule body over the tool's prefixed argument rules. */
function callBody(syntax: ToolCallSyntax, tool: ToolDefinition, argumentsRule: string): string {
  const name = JSON.stringify(tool.name);
  if (syntax.family === "mistral") {
    return `${gbnfLiteral(`{"name": ${name}, "arguments": `)} ${argumentsRule} ${gbnfLiteral(", \"id\": \"")} [a-zA-Z0-9]{9} ${gbnfLiteral("\"}")}`;
  }
  const head = gbnfLiteral(`{"name": ${name}, "${syntax.argumentsKey}": `);
  if (syntax.family === "llama3") return `${head} ${argumentsRule} ${gbnfLiteral("}")}`;
  return `${gbnfLiteral(`${syntax.start}\n`)} ${head} ${argumentsRule} ${gbnfLiteral(`}\n${syntax.callEnd}`)}`;
}

/** The calls section: one call, or several in the family's layout. */
function callsBody(syntax: ToolCallSyntax, isSeveral: boolean): string {
  if (syntax.family === "mistral") return `${gbnfLiteral(syntax.start + "[")} call ${isSeveral ? `( ${gbnfLiteral(", ")} call )*` : ""} ${gbnfLiteral("]")}`;
  return isSeveral ? `call ( ${gbnfLiteral("\n")} call )*` : "call";
}

/** A class of any character but those of `excluded`. */
function anyBut(excluded: string): string {
  const codePoints = [...new Set([...excluded].map((char) => char.codePointAt(0)!))];
  return gbnfClass(codePoints.map((codePoint) => ({from: codePoint, to: codePoint})), true);
}

/**
 * Free text that never contains the family's marker, so a call can only be opened by the calls rule
 * (whose arguments are enforced). Every marker character is a run from the marker's first character:
 * a prefix of the marker left unfinished (followed by another such run, the calls or the end), or a
 * prefix followed by a character that breaks it. Needs a marker whose first character appears once.
 */
function textRules(syntax: ToolCallSyntax): string[] {
  const marker = syntax.start;
  const first = marker[0]!;
  // Llama 3's calls are the whole reply: text is anything that does not open with `{`.
  if (syntax.family === "llama3" || marker.slice(1).includes(first)) return [`text ::= ${anyBut(`${first} \t\n`)} [^\\x00]*`];
  const prefixes = Array.from({length: marker.length - 1}, (_, index) => marker.slice(0, index + 1));
  return [
    `text ::= ( ${anyBut(first)} | marker-unfinished* marker-broken )* marker-unfinished*`,
    `marker-unfinished ::= ${prefixes.map((prefix) => gbnfLiteral(prefix)).join(" | ")}`,
    `marker-broken ::= ${prefixes.map((prefix, index) => `${gbnfLiteral(prefix)} ${anyBut(first + marker[index + 1]!)}`).join(" | ")}`
  ];
}

/** What the reply may be: calls only, or (auto) text and then, optionally, calls. */
function rootRule(syntax: ToolCallSyntax, mode: ToolCallMode): string {
  if (mode !== "auto") return "root ::= calls";
  return syntax.family === "llama3" ? "root ::= calls | text" : "root ::= text calls?";
}

export function toolCallGrammar(syntax: ToolCallSyntax, tools: readonly ToolDefinition[], options: ToolCallGrammarOptions): string {
  const {mode} = options;
  const callable = typeof mode === "object" ? tools.filter((tool) => tool.name === mode.name) : tools;
  const rules: string[] = [];
  const calls: string[] = [];
  callable.forEach((tool, index) => {
    const prefix = `t${index}-`;
    rules.push(prefixRules(argumentsGrammar(tool), prefix));
    calls.push(`call-${index}`);
    rules.push(`call-${index} ::= ${callBody(syntax, tool, `${prefix}root`)}`);
  });
  const isSeveral = options.isParallel && typeof mode !== "object";
  return [
    rootRule(syntax, mode),
    `calls ::= ${callsBody(syntax, isSeveral)}`,
    `call ::= ${calls.join(" | ")}`,
    ...(mode === "auto" ? textRules(syntax) : []),
    ...rules
  ].join("\n");
}
