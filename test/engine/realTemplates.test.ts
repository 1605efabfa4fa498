/**
 * Real models' chat templates (llama.cpp's `models/templates/`, read from the source bundle
 * node-llama-cpp ships) for the four tool-calling families: each is told apart by its syntax; a
 * conversation with tools, a call and its result renders with the tools and the result where the
 * template's own text puts them (call ids kept where the template shows them, and fitted to Mistral's
 * nine characters when they are not); and the call as the template writes it, which is how the
 * model was trained to write it, parses back into the same tool calls.
 */
import {describe, expect, it} from "vitest";
import {JinjaChatTemplate} from "../../engine/chat/JinjaChatTemplate.ts";
import {type ToolCallPiece, ToolCallParser} from "../../engine/chat/ToolCallParser.ts";
import {type ToolCallFamily, toolCallSyntaxOf} from "../../engine/chat/toolCallSyntax.ts";
import type {ChatMessage, ToolCall, ToolDefinition} from "../../engine/chat/types.ts";
import {llamaCppTemplates} from "../utils/llamaCppTemplates.ts";

const TEMPLATES = llamaCppTemplates([
  "Qwen-Qwen2.5-7B-Instruct", "meta-llama-Llama-3.1-8B-Instruct", "mistralai-Mistral-Nemo-Instruct-2407", "NousResearch-Hermes-3-Llama-3.1-8B-tool_use"
]);

const TOOLS: ToolDefinition[] = [
  {name: "get_weather", description: "The weather in a city", parameters: {type: "object", properties: {city: {type: "string"}, unit: {type: "string", enum: ["c", "f"]}}, required: ["city"]}},
  {name: "get_time", description: "The time in a zone", parameters: {type: "object", properties: {zone: {type: "integer"}}, required: ["zone"]}}
];
const USER: ChatMessage = {role: "user", content: "Weather in Paris?"};

interface Family {
  readonly template: keyof typeof TEMPLATES;
  readonly family: ToolCallFamily;
  readonly callId: string;
  /** Text in the template that shows where tools go, which the rendering must contain before the user's turn. */
  readonly toolsMarker: string;
  /** How the template writes a tool result ("sunny"), copied from its text. */
  readonly result: string;
  /** What ends the assistant's turn after its calls. */
  readonly turnEnd: string;
  readonly isParallel: boolean;
}

const FAMILIES: readonly Family[] = [
  {template: "Qwen-Qwen2.5-7B-Instruct", family: "hermes", callId: "call_1", toolsMarker: "<tools>", isParallel: true,
    result: "<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>", turnEnd: "<|im_end|>"},
  {template: "meta-llama-Llama-3.1-8B-Instruct", family: "llama3", callId: "call_1", toolsMarker: "Given the following functions", isParallel: false,
    result: "<|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\"<|eot_id|>", turnEnd: "<|eot_id|>"},
  {template: "mistralai-Mistral-Nemo-Instruct-2407", family: "mistral", callId: "abcDEF123", toolsMarker: "[AVAILABLE_TOOLS]", isParallel: true,
    result: "[TOOL_RESULTS]{\"content\": sunny, \"call_id\": \"abcDEF123\"}[/TOOL_RESULTS]", turnEnd: "</s>"},
  {template: "NousResearch-Hermes-3-Llama-3.1-8B-tool_use", family: "hermes", callId: "call_1", toolsMarker: "<tools>", isParallel: true,
    result: "<|im_start|>tool\n<tool_response>\nsunny\n</tool_response><|im_end|>", turnEnd: "<|im_end|>"}
];

function templateOf(family: Family): {render: (messages: ChatMessage[], tools?: ToolDefinition[]) => string; source: string} {
  const source = TEMPLATES[family.template];
  const syntax = toolCallSyntaxOf(source);
  const template = new JinjaChatTemplate(source, {bos: "<s>", eos: "</s>", callIdLength: syntax.callIdLength});
  return {source, render: (messages, tools) => template.render(messages, tools)};
}

function parse(family: Family, text: string): {text: string; calls: {name: string; arguments: unknown}[]} {
  const parser = new ToolCallParser(toolCallSyntaxOf(TEMPLATES[family.template]));
  const pieces: ToolCallPiece[] = [];
  // Fed a few characters at a time, as tokens arrive.
  for (let at = 0; at < text.length; at += 3) pieces.push(...parser.push(text.slice(at, at + 3)));
  pieces.push(...parser.finish());
  const calls: {name: string; arguments: string}[] = [];
  let content = "";
  for (const piece of pieces) {
    if (piece.type === "text") content += piece.text;
    else if (piece.type === "call") calls[piece.index] = {name: piece.name, arguments: ""};
    else calls[piece.index]!.arguments += piece.text;
  }
  return {text: content, calls: calls.map((call) => ({name: call.name, arguments: JSON.parse(call.arguments) as unknown}))};
}

describe.each(FAMILIES)("$template", (family) => {
  const {render, source} = templateOf(family);
  const call: ToolCall = {id: family.callId, name: "get_weather", arguments: '{"city": "Paris", "unit": "c"}'};
  const history: ChatMessage[] = [USER, {role: "assistant", content: null, toolCalls: [call]}, {role: "tool", content: "sunny", toolCallId: family.callId}];

  it(`is read as the ${family.family} syntax`, () => {
    expect(toolCallSyntaxOf(source).family).toBe(family.family);
  });

  it("renders the tools where the template puts them, and the result as the template writes it", () => {
    expect(source).toContain(family.toolsMarker);
    const prompt = render(history, TOOLS);
    const toolsAt = prompt.indexOf(family.toolsMarker);
    expect(toolsAt).toBeGreaterThan(-1);
    expect(toolsAt).toBeLessThan(prompt.indexOf(USER.content!));
    for (const tool of TOOLS) expect(prompt).toContain(tool.name);
    expect(prompt).toContain(family.result);
    expect(prompt.indexOf(family.result)).toBeGreaterThan(prompt.indexOf("get_weather", prompt.indexOf(USER.content!)));
  });

  it("writes a call the parser reads back into the same tool call", () => {
    const before = render([USER], TOOLS);
    const after = render([USER, {role: "assistant", content: null, toolCalls: [call]}], TOOLS);
    expect(after.startsWith(before)).toBe(true);
    const written = after.slice(before.length, after.indexOf(family.turnEnd, before.length));
    expect(parse(family, written)).toEqual({text: "", calls: [{name: "get_weather", arguments: {city: "Paris", unit: "c"}}]});
  });

  it.runIf(family.isParallel)("writes parallel calls the parser reads back in order", () => {
    const second: ToolCall = {id: family.callId.replace("1", "2"), name: "get_time", arguments: '{"zone": 2}'};
    const before = render([USER], TOOLS);
    const after = render([USER, {role: "assistant", content: null, toolCalls: [call, second]}], TOOLS);
    const written = after.slice(before.length, after.indexOf(family.turnEnd, before.length));
    expect(parse(family, written).calls).toEqual([{name: "get_weather", arguments: {city: "Paris", unit: "c"}}, {name: "get_time", arguments: {zone: 2}}]);
  });
});

describe("call ids", () => {
  it("keeps Mistral's nine-character ids, and fits others the same way for a call and its result", () => {
    const mistral = templateOf(FAMILIES[2]!);
    const openAiId = "call_Q2x7kLmN0pRsTuVwXyZaBcDe";
    const prompt = mistral.render([USER, {role: "assistant", content: null, toolCalls: [{id: openAiId, name: "get_weather", arguments: "{}"}]},
      {role: "tool", content: "sunny", toolCallId: openAiId}], TOOLS);
    const ids = [...prompt.matchAll(/"(?:id|call_id)": "([^"]*)"/g)].map((match) => match[1]);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(ids[1]).toBe(ids[0]);
  });

  it("passes ids through unchanged for templates without a length rule", () => {
    const hermes = new JinjaChatTemplate("{% for m in messages %}{{ m.tool_call_id }}{% endfor %}", {bos: "", eos: ""});
    expect(hermes.render([{role: "tool", content: "x", toolCallId: "call_Q2x7kLmN0pRsTuVwXyZaBcDe"}], undefined)).toBe("call_Q2x7kLmN0pRsTuVwXyZaBcDe");
  });
});
