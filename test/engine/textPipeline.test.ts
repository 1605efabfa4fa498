/** Stop strings across token boundaries, and UTF-8 characters split across tokens. */
import {describe, expect, it} from "vitest";
import {IncrementalDetokenizer} from "../../engine/text/IncrementalDetokenizer.ts";
import {StopMatcher} from "../../engine/text/StopMatcher.ts";

describe("StopMatcher", () => {
  it("holds back a possible stop prefix and never emits the stop string", () => {
    const matcher = new StopMatcher(["STOP"]);
    expect(matcher.push("hello S")).toEqual({text: "hello ", isStopped: false});
    expect(matcher.push("T")).toEqual({text: "", isStopped: false});
    expect(matcher.push("OP and more")).toEqual({text: "", isStopped: true});
    expect(matcher.push("later")).toEqual({text: "", isStopped: true});
  });

  it("releases held text that turned out not to be a stop", () => {
    const matcher = new StopMatcher(["STOP"]);
    expect(matcher.push("ST").text).toBe("");
    expect(matcher.push("AR").text).toBe("STAR");
    expect(matcher.push("S").text).toBe("");
    expect(matcher.flush()).toBe("S");
  });

  it("stops at the earliest of several stops", () => {
    const matcher = new StopMatcher(["world", "lo w"]);
    expect(matcher.push("hello world")).toEqual({text: "hel", isStopped: true});
  });

  it("passes everything through without stops", () => {
    const matcher = new StopMatcher([]);
    expect(matcher.push("abc")).toEqual({text: "abc", isStopped: false});
  });
});

describe("IncrementalDetokenizer", () => {
  // A byte-level fake: token t is byte t.
  const detokenize = (tokens: readonly number[]): string => Buffer.from(tokens).toString("utf8");

  it("holds back an incomplete UTF-8 character until its last byte arrives", () => {
    const detokenizer = new IncrementalDetokenizer(detokenize);
    const bytes = [...Buffer.from("a🎉b")];
    const outputs = bytes.map((byte) => detokenizer.push([byte]));
    expect(outputs).toEqual(["a", "", "", "", "🎉", "b"]);
    expect(detokenizer.flush()).toBe("");
  });

  it("gives up holding after four tokens and emits what it has", () => {
    const detokenizer = new IncrementalDetokenizer(detokenize);
    const outputs = [0xf0, 0x9f, 0x8e, 0x41].map((byte) => detokenizer.push([byte]));
    expect(outputs.slice(0, 3)).toEqual(["", "", ""]);
    expect(outputs[3]).toContain("A");
  });
});
