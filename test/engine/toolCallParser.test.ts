/**
 * The tool-call parser on each family's syntax, fed whole and one character at a time: text before
 * a call streams as text, a call is announced with its name before any argument, the arguments'
 * fragments concatenate to the model's JSON, several calls are numbered in order, text that only
 * looks like the start of a marker comes out as text, and a call cut short keeps what it had.
 */
import {describe, expect, it} from "vitest";
import {type ToolCallPiece, ToolCallParser} from "../../engine/chat/ToolCallParser.ts";
import {toolCallSyntaxOf} from "../../engine/chat/toolCallSyntax.ts";

const HERMES = toolCallSyntaxOf("... <tool_call> ...");
const MISTRAL = toolCallSyntaxOf("... [TOOL_CALLS] ...");
const LLAMA3 = toolCallSyntaxOf("... <|python_tag|> \"parameters\" tools ...");

interface Parsed {
  text: string;
  calls: {id: string; name: string; arguments: string}[];
  order: string[];
}

function parse(syntax: ReturnType<typeof toolCallSyntaxOf>, output: string, pieceSize: number): Parsed {
  const parser = new ToolCallParser(syntax);
  const pieces: ToolCallPiece[] = [];
  for (let at = 0; at < output.length; at += pieceSize) pieces.push(...parser.push(output.slice(at, at + pieceSize)));
  pieces.push(...parser.finish());
  const parsed: Parsed = {text: "", calls: [], order: []};
  for (const piece of pieces) {
    parsed.order.push(piece.type);
    if (piece.type === "text") parsed.text += piece.text;
    else if (piece.type === "call") {
      expect(piece.index).toBe(parsed.calls.length);
      parsed.calls.push({id: piece.id, name: piece.name, arguments: ""});
    } else parsed.calls[piece.index]!.arguments += piece.text;
  }
  return parsed;
}

describe("ToolCallParser", () => {
  it.each([1, 3, 1000])("parses hermes calls after text, fed %i characters at a time", (pieceSize) => {
    const output = 'Let me look.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days": [1, 2]}}\n</tool_call>\n' +
      '<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>';
    const parsed = parse(HERMES, output, pieceSize);
    expect(parsed.text).toBe("Let me look.\n");
    expect(parsed.calls.map(({name, arguments: args}) => [name, JSON.parse(args)])).toEqual([["get_weather", {city: "Paris", days: [1, 2]}], ["get_time", {}]]);
    expect(parsed.calls.every(({id}) => /^call_[A-Za-z0-9]{24}$/.test(id))).toBe(true);
    expect(parsed.order.indexOf("call")).toBeLessThan(parsed.order.indexOf("arguments"));
  });

  it("keeps text that only looks like a marker, and text with no call", () => {
    expect(parse(HERMES, "a <tool_cal and <b> plain", 1)).toMatchObject({text: "a <tool_cal and <b> plain", calls: []});
  });

  it("parses Mistral's array with nine-character ids, arguments before or after the name", () => {
    const output = '[TOOL_CALLS][{"name": "a", "arguments": {"x": 1}, "id": "abc123def"}, {"arguments": {"y": "}"}, "name": "b"}]';
    const parsed = parse(MISTRAL, output, 2);
    expect(parsed.calls.map(({name, arguments: args}) => [name, JSON.parse(args)])).toEqual([["a", {x: 1}], ["b", {y: "}"}]]);
    expect(parsed.calls.every(({id}) => /^[A-Za-z0-9]{9}$/.test(id))).toBe(true);
  });

  it("parses Llama 3's bare JSON call only at the start of the reply", () => {
    const call = parse(LLAMA3, ' {"name": "search", "parameters": {"q": "fox"}}', 4);
    expect(call.calls.map(({name, arguments: args}) => [name, JSON.parse(args)])).toEqual([["search", {q: "fox"}]]);
    expect(parse(LLAMA3, 'Sure: {"name": "search"}', 4)).toMatchObject({text: 'Sure: {"name": "search"}', calls: []});
  });

  it("keeps a call cut short as far as it got", () => {
    const parsed = parse(HERMES, '<tool_call>\n{"name": "f", "arguments": {"city": "Par', 5);
    expect(parsed.calls).toEqual([{id: expect.any(String), name: "f", arguments: '{"city": "Par'}]);
  });
});
