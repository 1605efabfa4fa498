/**
 * The tool side of a chat plan: the history's tool calls and results mapped to the engine's chat
 * records, the request's tools and `tool_choice` checked against each other, and, once the variant's
 * model is known, the call syntax to parse and the grammar that enforces the choice: "required" and
 * a named function force calls from the first token; "auto" leaves the model free unless a tool is
 * `strict`, in which case the output is either text or calls whose arguments follow their schemas;
 * "none" renders the tools out and parses nothing.
 */
import {type ToolCallMode, toolCallGrammar} from "../../engine/chat/toolCallGrammar.ts";
import type {ToolCallSyntax} from "../../engine/chat/toolCallSyntax.ts";
import type {ChatMessage, ToolDefinition} from "../../engine/chat/types.ts";
import type {ServedModel} from "../../engine/ServedModel.ts";
import {ApiError} from "../errors.ts";
import {type ChatCompletionBody, messageText} from "../schemas/chatCompletion.ts";
import type {PlannedConstraint} from "./constraint.ts";

/** What a request asked of tools, before a model is chosen. */
export interface ToolRequest {
  readonly definitions: readonly ToolDefinition[];
  readonly mode: ToolCallMode | "none";
  readonly isParallel: boolean;
}

/** Tools as the plan carries them: what to parse the output with. */
export interface PlannedTools {
  readonly syntax: ToolCallSyntax;
  readonly definitions: readonly ToolDefinition[];
}

function invalid(message: string, param: string): ApiError {
  return new ApiError(400, message, "invalid_request_error", param, "invalid_value");
}

/** The chat history in the engine's records, tool calls and results included. */
export function chatMessagesOf(body: ChatCompletionBody): ChatMessage[] {
  return body.messages.map((message) => ({
    role: message.role,
    content: messageText(message.content),
    ...(message.tool_calls?.length ? {toolCalls: message.tool_calls.map((call) => ({id: call.id, name: call.function.name, arguments: call.function.arguments}))} : {}),
    ...(message.tool_call_id != null ? {toolCallId: message.tool_call_id} : {})
  }));
}

/** The request's tools and choice; undefined without tools. Throws a 400 for a choice that contradicts them. */
export function toolRequestOf(body: ChatCompletionBody): ToolRequest | undefined {
  const tools = body.tools ?? [];
  const choice = body.tool_choice ?? (tools.length > 0 ? "auto" : "none");
  if (tools.length === 0) {
    if (choice !== "none") throw invalid("tool_choice needs tools", "tool_choice");
    return undefined;
  }
  const mode: ToolRequest["mode"] = typeof choice === "object" ? {name: choice.function.name} : choice;
  if (typeof mode === "object" && !tools.some((tool) => tool.function.name === mode.name)) {
    throw invalid(`tool_choice names "${mode.name}", which is not in tools`, "tool_choice");
  }
  if (mode !== "none" && body.response_format && body.response_format.type !== "text") {
    throw invalid("response_format cannot constrain a reply that may call tools (use tool_choice: \"none\")", "response_format");
  }
  if (mode !== "none" && body.logprobs === true && body.stream === true) throw invalid("logprobs are not supported with tools while streaming", "logprobs");
  const definitions = tools.map(({function: fn}) => ({
    name: fn.name, ...(fn.description != null ? {description: fn.description} : {}), ...(fn.parameters != null ? {parameters: fn.parameters} : {}),
    isStrict: fn.strict === true
  }));
  return {definitions, mode, isParallel: body.parallel_tool_calls !== false};
}

/** The tools to parse with and the grammar enforcing the choice on `model`; undefined under "none". */
export function planToolsFor(request: ToolRequest, model: ServedModel): {tools: PlannedTools; constraint: PlannedConstraint | undefined} | undefined {
  const {mode, definitions} = request;
  if (mode === "none") return undefined;
  const syntax = model.toolCallSyntax;
  const isConstrained = mode !== "auto" || definitions.some((tool) => tool.isStrict);
  if (!isConstrained) return {tools: {syntax, definitions}, constraint: undefined};
  let text: string;
  try {
    text = toolCallGrammar(syntax, definitions, {mode, isParallel: request.isParallel});
  } catch (error) {
    throw new ApiError(400, `a tool's parameters cannot be enforced: ${(error as Error).message}`, "invalid_request_error", "tools", "unsupported_schema");
  }
  return {tools: {syntax, definitions}, constraint: {kind: "tools", grammar: {text, cacheKey: `tools:${text}`}, droppedKeywords: []}};
}
