/**
 * Splits a model's output, as it streams, into text and tool calls written in its family's syntax
 * (toolCallSyntax.ts): text before a call streams as text, holding back a tail that may be the start
 * of a call marker (as the stop matcher holds back a possible stop string); a call is announced once
 * its name is complete, then its arguments stream as the model writes them. Re-reads the current call
 * from its start on every push (calls are short), so the keys may come in either order. Owns that
 * splitting; ids are the caller's shape, made here so a call keeps one from its first piece.
 */
import {randomBytes} from "node:crypto";
import {skipWhitespace, stringEnd, valueEnd} from "./jsonScan.ts";
import type {ToolCallSyntax} from "./toolCallSyntax.ts";

export type ToolCallPiece =
  | {readonly type: "text"; readonly text: string}
  | {readonly type: "call"; readonly index: number; readonly id: string; readonly name: string}
  | {readonly type: "arguments"; readonly index: number; readonly text: string};

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomAlphanumeric(length: number): string {
  return [...randomBytes(length)].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join("");
}

/** The call being read: where its object starts, and what was already announced of it. */
interface OpenCall {
  readonly objectStart: number;
  index: number | null;
  numArgumentChars: number;
}

export class ToolCallParser {
  /** Everything pushed and not yet handed out as text. */
  private buffer = "";
  private call: OpenCall | null = null;
  private numCalls = 0;
  private hasText = false;
  /** Mistral writes its calls as one array: inside it, the next call follows a comma. */
  private isInArray = false;
  /** A call just ended: what closes it (hermes's tag, the array's comma or bracket) may still be arriving. */
  private isAfterCall = false;

  constructor(private readonly syntax: ToolCallSyntax) {}

  get callCount(): number {
    return this.numCalls;
  }

  /** Adds output text; returns the pieces now complete. */
  push(text: string): ToolCallPiece[] {
    this.buffer += text;
    return this.drain(false);
  }

  /** The end of the output: what is left, a call cut short included as far as it got. */
  finish(): ToolCallPiece[] {
    const pieces = this.drain(true);
    if (this.call && this.call.index === null && this.buffer.length > 0) pieces.push(this.textPiece(this.buffer));
    if (!this.call && this.buffer.length > 0) pieces.push(this.textPiece(this.buffer));
    this.buffer = "";
    this.call = null;
    return pieces.filter((piece) => piece.type !== "text" || piece.text.length > 0);
  }

  private drain(isFinal: boolean): ToolCallPiece[] {
    const pieces: ToolCallPiece[] = [];
    for (let isProgress = true; isProgress;) {
      if (this.isAfterCall) isProgress = this.readAfterCall(isFinal);
      else isProgress = this.call ? this.readCall(pieces, isFinal) : this.readText(pieces, isFinal);
    }
    return pieces;
  }

  private textPiece(text: string): ToolCallPiece {
    if (text.trim().length > 0) this.hasText = true;
    return {type: "text", text};
  }

  /** Text until a call starts; true when a call started. */
  private readText(pieces: ToolCallPiece[], isFinal: boolean): boolean {
    const {start} = this.syntax;
    const isJsonStart = this.syntax.family === "llama3";
    // Llama 3's calls are the whole reply: a `{` counts only before any text.
    const markerAt = isJsonStart ? (this.hasText ? -1 : this.buffer.search(/\S/)) : this.buffer.indexOf(start);
    if (markerAt !== -1 && (!isJsonStart || this.buffer[markerAt] === "{")) {
      if (markerAt > 0) pieces.push(this.textPiece(this.buffer.slice(0, markerAt)));
      this.buffer = this.buffer.slice(isJsonStart ? markerAt : markerAt + start.length);
      this.call = {objectStart: -1, index: null, numArgumentChars: 0};
      return true;
    }
    if (isJsonStart && markerAt === -1 && !this.hasText && !isFinal) return false;
    const held = isFinal ? 0 : heldBackLength(this.buffer, start);
    const out = this.buffer.slice(0, this.buffer.length - held);
    if (out.length > 0) pieces.push(this.textPiece(out));
    this.buffer = this.buffer.slice(out.length);
    return false;
  }

  /** Reads the open call; true when it ended (the parser is back in text, or in the next call). */
  private readCall(pieces: ToolCallPiece[], isFinal: boolean): boolean {
    const call = this.call!;
    if (call.objectStart === -1) {
      let at = skipWhitespace(this.buffer, 0);
      if (this.syntax.family === "mistral" && (this.buffer[at] === "[" || this.buffer[at] === ",")) {
        this.isInArray = true;
        at = skipWhitespace(this.buffer, at + 1);
      }
      if (at >= this.buffer.length) return false;
      if (this.buffer[at] !== "{") return this.abandonCall(pieces);
      this.call = {...call, objectStart: at};
    }
    const object = this.readObject(this.call!, pieces, isFinal);
    if (object === -1) return false;
    this.buffer = this.buffer.slice(object);
    this.call = null;
    this.isAfterCall = true;
    return true;
  }

  /** A marker that opened no call: its text is text after all. */
  private abandonCall(pieces: ToolCallPiece[]): boolean {
    pieces.push(this.textPiece(this.syntax.family === "llama3" ? this.buffer : this.syntax.start + this.buffer));
    this.buffer = "";
    this.call = null;
    return false;
  }

  /** Consumes what closes a call and the whitespace around it; false while it may still be arriving. */
  private readAfterCall(isFinal: boolean): boolean {
    const at = skipWhitespace(this.buffer, 0);
    const rest = this.buffer.slice(at);
    if (rest.length === 0) {
      if (isFinal) this.isAfterCall = false;
      return isFinal;
    }
    const {callEnd} = this.syntax;
    if (callEnd && rest.startsWith(callEnd)) {
      this.buffer = this.buffer.slice(at + callEnd.length);
      return true;
    }
    if (callEnd && callEnd.startsWith(rest) && !isFinal) return false;
    this.isAfterCall = false;
    if (this.isInArray && (rest[0] === "," || rest[0] === "]")) {
      this.buffer = rest.slice(1);
      if (rest[0] === ",") this.call = {objectStart: -1, index: null, numArgumentChars: 0};
      else this.isInArray = false;
    } else {
      this.buffer = rest;
    }
    return true;
  }

  /** Announces the call's name and streams its arguments; the end of its object, or -1 while open. */
  private readObject(call: OpenCall, pieces: ToolCallPiece[], isFinal: boolean): number {
    const text = this.buffer;
    let at = skipWhitespace(text, call.objectStart + 1);
    let name: string | null = null;
    let argumentsAt = -1;
    let argumentsEnd = -1;
    while (at < text.length && text[at] !== "}") {
      const keyEnd = text[at] === "\"" ? stringEnd(text, at) : -1;
      if (keyEnd === -1) break;
      const key = JSON.parse(text.slice(at, keyEnd)) as string;
      const valueAt = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1);
      const end = valueEnd(text, valueAt, isFinal);
      if (key === this.syntax.argumentsKey) {
        argumentsAt = valueAt;
        argumentsEnd = end;
      } else if (key === "name" && end !== -1) {
        name = JSON.parse(text.slice(valueAt, end)) as string;
      }
      if (end === -1) break;
      at = skipWhitespace(text, end);
      if (text[at] === ",") at = skipWhitespace(text, at + 1);
    }
    if (name !== null && call.index === null) {
      call.index = this.numCalls++;
      const id = this.syntax.callIdLength ? randomAlphanumeric(this.syntax.callIdLength) : `call_${randomAlphanumeric(24)}`;
      pieces.push({type: "call", index: call.index, id, name});
    }
    if (call.index !== null && argumentsAt !== -1 && argumentsAt < text.length) {
      const upTo = argumentsEnd === -1 ? text.length : argumentsEnd;
      const fragment = text.slice(argumentsAt + call.numArgumentChars, upTo);
      if (fragment.length > 0) pieces.push({type: "arguments", index: call.index, text: fragment});
      call.numArgumentChars = upTo - argumentsAt;
    }
    return text[at] === "}" && call.index !== null ? at + 1 : -1;
  }
}

/** How much of the end of `text` could be the start of `marker`: held back until the next piece decides. */
function heldBackLength(text: string, marker: string): number {
  for (let length = Math.min(marker.length - 1, text.length); length > 0; length--) {
    if (marker.startsWith(text.slice(text.length - length))) return length;
  }
  return 0;
}
