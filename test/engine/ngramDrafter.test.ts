/**
 * Prompt lookup: the longest recent suffix found earlier proposes what followed it.
 */
import {describe, expect, it} from "vitest";
import {NgramDrafter, proposeNgramDraft} from "../../engine/executor/speculative/NgramDrafter.ts";

describe("proposeNgramDraft", () => {
  it("proposes what followed the latest earlier occurrence of the suffix", () => {
    //              0  1  2  3  4  5  6  7  8  9
    const history = [1, 2, 3, 4, 5, 9, 2, 3, 7, 2, 3];
    // Suffix [2, 3] occurs at 1 and 6; the latest (6) was followed by 7, 2, 3.
    expect(proposeNgramDraft(history, 3)).toEqual([7, 2, 3]);
    expect(proposeNgramDraft(history, 1)).toEqual([7]);
  });

  it("prefers the longest matching suffix", () => {
    const history = [5, 2, 3, 8, 1, 2, 3, 4, 9, 1, 2, 3];
    // [1, 2, 3] (at 4) beats the more recent shorter match [2, 3].
    expect(proposeNgramDraft(history, 2)).toEqual([4, 9]);
  });

  it("proposes nothing without a match, below the shortest n-gram, or when asked for none", () => {
    expect(proposeNgramDraft([1, 2, 3, 4], 4)).toEqual([]);
    expect(proposeNgramDraft([1, 2, 1], 4)).toEqual([]);
    expect(proposeNgramDraft([1, 2, 1], 4, {minNgram: 1})).toEqual([2, 1]);
    expect(proposeNgramDraft([1, 2, 1, 2], 0)).toEqual([]);
  });

  it("drafts per sequence from the context and the last token", async () => {
    const drafter = new NgramDrafter();
    const proposals = await drafter.draft([
      {sequenceIndex: 0, contextTokens: [1, 2, 3, 4, 1], lastToken: 2, maxNumTokens: 2},
      {sequenceIndex: 3, contextTokens: [9, 8], lastToken: 7, maxNumTokens: 2}
    ]);
    expect([...proposals]).toEqual([[0, [3, 4]]]);
  });
});
