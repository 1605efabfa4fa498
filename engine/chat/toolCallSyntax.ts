/**
 * How a model writes tool calls, read from its chat template the way llama-server tells families
 * apart: the `<tool_call>` JSON of Qwen2.5/Qwen3/Hermes ("hermes"), Llama 3.1-3.3's bare JSON with
 * "parameters" ("llama3"), Mistral's `[TOOL_CALLS]` array ("mistral"). A template that shows none of
 * them gets "generic": the hermes syntax, described to the model in a system message, since its
 * template does not render tools. Owns the markers each family writes; parsing is ToolCallParser's.
 */

export type ToolCallFamily = "hermes" | "llama3" | "mistral" | "generic";

export interface ToolCallSyntax {
  readonly family: ToolCallFamily;
  /** What opens the calls: a marker, or the first `{` of the output for llama3. */
  readonly start: string;
  /** After each call: hermes's closing tag; nothing for the JSON families. */
  readonly callEnd: string;
  /** The key holding a call's arguments. */
  readonly argumentsKey: "arguments" | "parameters";
  /** Whether the template renders `tools` itself; otherwise they go into a system message. */
  readonly isRenderedByTemplate: boolean;
  /** Mistral's templates require 9-character call ids in the history. */
  readonly callIdLength?: number;
}

const HERMES: ToolCallSyntax = {family: "hermes", start: "<tool_call>", callEnd: "</tool_call>", argumentsKey: "arguments", isRenderedByTemplate: true};

export function toolCallSyntaxOf(template: string | undefined): ToolCallSyntax {
  if (template?.includes("<tool_call>")) return HERMES;
  if (template?.includes("[TOOL_CALLS]")) return {family: "mistral", start: "[TOOL_CALLS]", callEnd: "", argumentsKey: "arguments", isRenderedByTemplate: true, callIdLength: 9};
  if (template?.includes("<|python_tag|>") || (template?.includes("\"parameters\"") && template.includes("tools"))) {
    return {family: "llama3", start: "{", callEnd: "", argumentsKey: "parameters", isRenderedByTemplate: true};
  }
  return {...HERMES, family: "generic", isRenderedByTemplate: false};
}
