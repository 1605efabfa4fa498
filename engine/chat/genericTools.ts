/**
 * Tools for a model whose chat template cannot render them (the "generic" family): the tools are
 * described in a system message that teaches the `<tool_call>` syntax, and a history's calls and
 * results are written as text in that syntax, so the template renders an ordinary conversation.
 * Owns that text.
 */
import {parsedArguments} from "./JinjaChatTemplate.ts";
import type {ChatMessage, ToolDefinition} from "./types.ts";

/** The system text that teaches the generic syntax to a model whose template cannot render tools. */
export function genericToolsPrompt(tools: readonly {name: string; description?: string; parameters?: unknown}[]): string {
  const signatures = tools.map(({name, description, parameters}) => JSON.stringify({type: "function", function: {name, description, parameters}})).join("\n");
  return "You may call functions. Their signatures are within <tools></tools>:\n<tools>\n" + signatures + "\n</tools>\n" +
    "To call one, reply with a JSON object within <tool_call></tool_call> tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>";
}

/** A history without tool turns, for a template that cannot render them: calls and results as text. */
export function genericTurns(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] | undefined): ChatMessage[] {
  const turns: ChatMessage[] = messages.map((message): ChatMessage => {
    if (message.role === "tool") return {role: "user", content: `<tool_response>\n${message.content ?? ""}\n</tool_response>`};
    if (!message.toolCalls?.length) return message;
    const calls = message.toolCalls.map((call) => `<tool_call>\n${JSON.stringify({name: call.name, arguments: parsedArguments(call.arguments || "{}")})}\n</tool_call>`);
    return {role: "assistant", content: [message.content, ...calls].filter(Boolean).join("\n")};
  });
  if (!tools?.length) return turns;
  const system = genericToolsPrompt(tools);
  const [first, ...rest] = turns;
  return first?.role === "system" ? [{role: "system", content: `${first.content ?? ""}\n\n${system}`}, ...rest] : [{role: "system", content: system}, ...turns];
}
