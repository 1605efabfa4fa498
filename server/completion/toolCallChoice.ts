/**
 * The tool-call side of one chat choice: its output text, as it streams, split by the family's
 * parser into content deltas and `tool_calls` deltas (the first piece of a call carries its id, type
 * and name with empty arguments; later pieces carry arguments only, as OpenAI streams them), and the
 * finish reason "tool_calls" when the reply called a function and ended on its own. Also reads a
 * whole reply into its content and calls. Owns that mapping; the parsing is the engine's.
 */
import {type ToolCallPiece, ToolCallParser} from "../../engine/chat/ToolCallParser.ts";
import type {ToolCallSyntax} from "../../engine/chat/toolCallSyntax.ts";
import type {CompletionFormat, OpenAiFinishReason, WholeToolCall} from "../openai/formats.ts";

/** A finish reason as the client gets it: a reply that called tools and stopped says so. */
function finishReasonOf(finishReason: OpenAiFinishReason, numCalls: number): OpenAiFinishReason {
  return finishReason === "stop" && numCalls > 0 ? "tool_calls" : finishReason;
}

/** Streams one choice's tool calls as chunks. */
export class ToolCallChoice {
  private readonly parser: ToolCallParser;

  constructor(syntax: ToolCallSyntax, private readonly format: CompletionFormat, private readonly index: number) {
    this.parser = new ToolCallParser(syntax);
  }

  /** The chunks that `text` completes. */
  push(text: string): object[] {
    return this.parser.push(text).map((piece) => this.chunkOf(piece));
  }

  /** The chunks the end of the output releases, then the finish chunk. */
  finish(finishReason: OpenAiFinishReason, finishChunk: (reason: OpenAiFinishReason) => object): object[] {
    const chunks = this.parser.finish().map((piece) => this.chunkOf(piece));
    return [...chunks, finishChunk(finishReasonOf(finishReason, this.parser.callCount))];
  }

  private chunkOf(piece: ToolCallPiece): object {
    switch (piece.type) {
      case "text":
        return this.format.deltaChunk(this.index, piece.text);
      case "call":
        return this.format.toolCallChunk(this.index, [{index: piece.index, id: piece.id, type: "function", function: {name: piece.name, arguments: ""}}]);
      case "arguments":
        return this.format.toolCallChunk(this.index, [{index: piece.index, function: {arguments: piece.text}}]);
    }
  }
}

/** A whole reply read as content and calls, with the finish reason the client gets. */
export function wholeToolCallReply(syntax: ToolCallSyntax, output: string, finishReason: OpenAiFinishReason): {
  readonly text: string;
  readonly toolCalls: readonly WholeToolCall[];
  readonly finishReason: OpenAiFinishReason;
} {
  const parser = new ToolCallParser(syntax);
  const pieces = [...parser.push(output), ...parser.finish()];
  let text = "";
  const calls: {id: string; name: string; arguments: string}[] = [];
  for (const piece of pieces) {
    if (piece.type === "text") text += piece.text;
    else if (piece.type === "call") calls[piece.index] = {id: piece.id, name: piece.name, arguments: ""};
    else calls[piece.index]!.arguments += piece.text;
  }
  return {text, toolCalls: calls, finishReason: finishReasonOf(finishReason, calls.length)};
}
