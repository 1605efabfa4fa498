/**
 * The tool-call grammar, judged by llama.cpp's own grammar engine, for each family's syntax: a forced
 * choice accepts only calls (one without parallel calls, only the named tool when named) whose
 * arguments follow the tool's schema; "auto" accepts free text, text then calls, and text that merely
 * looks like a marker, but never an unconstrained call: a marker can only open a call whose arguments
 * follow a strict schema. Rule names of several tools never collide.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {toolCallGrammar, type ToolCallGrammarOptions} from "../../engine/chat/toolCallGrammar.ts";
import {type ToolCallSyntax, toolCallSyntaxOf} from "../../engine/chat/toolCallSyntax.ts";
import type {ToolDefinition} from "../../engine/chat/types.ts";
import {GrammarHarness} from "./structured/grammarHarness.ts";

const HERMES = toolCallSyntaxOf("<tool_call>");
const MISTRAL = toolCallSyntaxOf("[TOOL_CALLS]");
const LLAMA3 = toolCallSyntaxOf("<|python_tag|>");

const WEATHER: ToolDefinition = {
  name: "get_weather",
  parameters: {type: "object", properties: {city: {type: "string"}, unit: {type: "string", enum: ["c", "f"]}}, required: ["city", "unit"], additionalProperties: false},
  isStrict: true
};
const TIME: ToolDefinition = {name: "get_time", parameters: {type: "object", properties: {zone: {type: "integer"}}, required: ["zone"], additionalProperties: false}, isStrict: true};
const TOOLS = [WEATHER, TIME];

/** One call in the family's syntax, as the grammar spells it. */
function call(syntax: ToolCallSyntax, name: string, args: string): string {
  if (syntax.family === "mistral") return `{"name": "${name}", "arguments": ${args}, "id": "abcDEF123"}`;
  if (syntax.family === "llama3") return `{"name": "${name}", "parameters": ${args}}`;
  return `<tool_call>\n{"name": "${name}", "arguments": ${args}}\n</tool_call>`;
}

function calls(syntax: ToolCallSyntax, ...each: string[]): string {
  return syntax.family === "mistral" ? `[TOOL_CALLS][${each.join(", ")}]` : each.join("\n");
}

const PARIS = '{"city":"Paris","unit":"c"}';
const ZONE = '{"zone":2}';

let harness: GrammarHarness;
beforeAll(async () => {
  harness = await GrammarHarness.load();
});
afterAll(async () => harness?.dispose());

async function accepts(syntax: ToolCallSyntax, options: ToolCallGrammarOptions, text: string): Promise<boolean> {
  return harness.accepts(toolCallGrammar(syntax, TOOLS, options), text);
}

describe.each([["hermes", HERMES], ["mistral", MISTRAL], ["llama3", LLAMA3]] as const)("tool-call grammar (%s)", (_, syntax) => {
  const weather = call(syntax, "get_weather", PARIS);
  const time = call(syntax, "get_time", ZONE);

  it("required: one or more calls whose arguments follow their schemas, nothing else", async () => {
    const required = {mode: "required", isParallel: true} as const;
    expect(await accepts(syntax, required, calls(syntax, weather))).toBe(true);
    expect(await accepts(syntax, required, calls(syntax, weather, time))).toBe(true);
    expect(await accepts(syntax, required, calls(syntax, call(syntax, "get_weather", '{"city":"Paris"}')))).toBe(false);
    expect(await accepts(syntax, required, calls(syntax, call(syntax, "get_weather", '{"city":"Paris","unit":"k"}')))).toBe(false);
    expect(await accepts(syntax, required, calls(syntax, call(syntax, "other", ZONE)))).toBe(false);
    expect(await accepts(syntax, required, "Sure.")).toBe(false);
    expect(await accepts(syntax, required, "")).toBe(false);
  });

  it("parallel_tool_calls false allows exactly one call; a named choice only that tool", async () => {
    expect(await accepts(syntax, {mode: "required", isParallel: false}, calls(syntax, time))).toBe(true);
    expect(await accepts(syntax, {mode: "required", isParallel: false}, calls(syntax, weather, time))).toBe(false);
    expect(await accepts(syntax, {mode: {name: "get_time"}, isParallel: true}, calls(syntax, time))).toBe(true);
    expect(await accepts(syntax, {mode: {name: "get_time"}, isParallel: true}, calls(syntax, weather))).toBe(false);
    expect(await accepts(syntax, {mode: {name: "get_time"}, isParallel: true}, calls(syntax, time, time))).toBe(false);
  });

  it("auto: free text, or calls following their schemas", async () => {
    const auto = {mode: "auto", isParallel: true} as const;
    expect(await accepts(syntax, auto, "It is sunny in Paris.")).toBe(true);
    expect(await accepts(syntax, auto, calls(syntax, weather, time))).toBe(true);
    expect(await accepts(syntax, auto, calls(syntax, call(syntax, "get_weather", '{"city":"Paris","unit":"k"}')))).toBe(false);
  });
});

describe("tool-call grammar, auto with a marker (hermes, mistral)", () => {
  const auto = {mode: "auto", isParallel: true} as const;

  it.each([["hermes", HERMES], ["mistral", MISTRAL]] as const)("%s: text then calls; text that only resembles the marker", async (_, syntax) => {
    const marker = syntax.start;
    expect(await accepts(syntax, auto, `Let me check.\n${calls(syntax, call(syntax, "get_time", ZONE))}`)).toBe(true);
    expect(await accepts(syntax, auto, `a ${marker.slice(0, 4)} b ${marker.slice(0, -1)}x ${marker[0]}${marker[0]}`)).toBe(true);
    expect(await accepts(syntax, auto, `ends with ${marker.slice(0, -1)}`)).toBe(true);
  });

  it.each([["hermes", HERMES], ["mistral", MISTRAL]] as const)("%s: a marker opens only a call that follows its schema", async (_, syntax) => {
    const loose = syntax.family === "mistral" ? `[TOOL_CALLS][{"name": "get_time", "arguments": {"zone": "x"}}]` : `<tool_call>\n{"name": "get_time", "arguments": {"zone": "x"}}\n</tool_call>`;
    expect(await accepts(syntax, auto, `Checking. ${loose}`)).toBe(false);
    expect(await accepts(syntax, auto, `Checking. ${syntax.start[0]}${loose}`)).toBe(false);
    expect(await accepts(syntax, auto, `${calls(syntax, call(syntax, "get_time", ZONE))} and more text`)).toBe(false);
  });
});
