/**
 * The generic tool format, for a model whose template cannot render tools: the tools and the syntax
 * go into a system message (after the client's own system text, or as the first message), a history's
 * calls and results become text in the `<tool_call>` syntax that the parser reads back into the same
 * calls, and such a model is reported at start-up with a warning.
 */
import {describe, expect, it} from "vitest";
import {genericTurns} from "../../engine/chat/genericTools.ts";
import {ToolCallParser} from "../../engine/chat/ToolCallParser.ts";
import {toolCallSyntaxOf} from "../../engine/chat/toolCallSyntax.ts";
import type {ToolDefinition} from "../../engine/chat/types.ts";
import type {LlamaServedModel} from "../../engine/createLlamaServedModel.ts";
import {toolSyntaxWarning} from "../../server/process/startupLog.ts";

const TOOLS: ToolDefinition[] = [{name: "get_time", description: "The time", parameters: {type: "object", properties: {zone: {type: "integer"}}}, isStrict: true}];

describe("the generic tool format", () => {
  it("describes the tools in a system message, after the client's own system text", () => {
    const [withSystem] = genericTurns([{role: "system", content: "Be brief."}, {role: "user", content: "Time?"}], TOOLS);
    expect(withSystem!.content).toMatch(/^Be brief\.\n\nYou may call functions/);
    expect(withSystem!.content).toContain('{"type":"function","function":{"name":"get_time","description":"The time","parameters":{"type":"object","properties":{"zone":{"type":"integer"}}}}}');
    expect(withSystem!.content).not.toContain("isStrict");
    const turns = genericTurns([{role: "user", content: "Time?"}], TOOLS);
    expect(turns.map((turn) => turn.role)).toEqual(["system", "user"]);
  });

  it("writes a history's calls and results as text the parser reads back into the same calls", () => {
    const turns = genericTurns([
      {role: "user", content: "Time?"},
      {role: "assistant", content: "Checking.", toolCalls: [{id: "a", name: "get_time", arguments: '{"zone": 2}'}, {id: "b", name: "get_time", arguments: "not json"}]},
      {role: "tool", content: "noon", toolCallId: "a"}
    ], undefined);
    expect(turns.map((turn) => turn.role)).toEqual(["user", "assistant", "user"]);
    expect(turns[2]!.content).toBe("<tool_response>\nnoon\n</tool_response>");
    const parser = new ToolCallParser(toolCallSyntaxOf(undefined));
    const pieces = [...parser.push(turns[1]!.content!), ...parser.finish()];
    const names = pieces.flatMap((piece) => (piece.type === "call" ? [piece.name] : []));
    const args = pieces.filter((piece) => piece.type === "arguments").map((piece) => (piece as {text: string}).text);
    expect(names).toEqual(["get_time", "get_time"]);
    expect(args.join("|")).toBe('{"zone":2}|"not json"');
    expect(pieces.filter((piece) => piece.type === "text").map((piece) => (piece as {text: string}).text).join("")).toBe("Checking.\n");
  });

  it("is what a template without tool syntax gets, with a start-up warning", () => {
    expect(toolCallSyntaxOf("{% for m in messages %}{{ m.content }}{% endfor %}").family).toBe("generic");
    const model = (family: string) => ({toolCallSyntax: {family}}) as unknown as LlamaServedModel;
    expect(toolSyntaxWarning(model("generic"), "\"m\" variant \"a\"")).toMatch(/^"m" variant "a": the chat template shows no tool-call syntax/);
    expect(toolSyntaxWarning(model("hermes"), "x")).toBeNull();
  });
});
