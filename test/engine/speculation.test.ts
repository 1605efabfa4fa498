/**
 * The engine's side of speculative decoding, over the fake executor: several tokens per step reach
 * the stream in order, a stop string or end-of-generation token inside them ends the request there,
 * counts land in the summary, and the output equals plain decoding's.
 */
import {describe, expect, it} from "vitest";
import {FAKE_EOG_TOKEN, type FakeExecutorOptions} from "../utils/FakeExecutor.ts";
import {createFakeEngine, fakeRequest} from "../utils/fakeEngine.ts";

function createEngine(options: FakeExecutorOptions & {readonly maxDraftTokens?: number} = {}) {
  // A fixed draft length: whether speculation pays is the adaptive rule's test, not this file's.
  const {maxDraftTokens} = options;
  return createFakeEngine({...options, speculation: maxDraftTokens === undefined ? undefined : {maxDraftTokens, isAdaptive: false}});
}

let nextId = 0;
const request = (overrides: Parameters<typeof fakeRequest>[1] = {}) => fakeRequest(`spec-${nextId++}`, {seed: 7, maxTokens: 24, ...overrides});

/** Drafts the tokens plain decoding produced for the same request: every draft is right. */
function oracleFrom(reference: readonly number[], promptLength: number) {
  return (history: readonly number[], maxNumTokens: number): number[] => {
    const numOutput = history.length - promptLength;
    return reference.slice(numOutput, numOutput + maxNumTokens);
  };
}

describe("Engine with speculative decoding", () => {
  it("streams several tokens per step, equal to plain decoding's, and counts the drafts", async () => {
    const plain = await createEngine().engine.submit(request({id: "same"})).collect();
    const {engine, steps} = createEngine({maxDraftTokens: 4, drafter: oracleFrom(plain.tokenIds, 4)});
    const speculated = await engine.submit(request({id: "same"})).collect();
    expect(speculated.tokenIds).toEqual(plain.tokenIds);
    expect(speculated.text).toBe(plain.text);
    expect(steps.length).toBeLessThan(plain.tokenIds.length);
    expect(Math.max(...steps.map((step) => step.entries[0]!.numOutputTokens))).toBe(5);
    const {numDraftTokens, numAcceptedTokens} = speculated.summary.speculation!;
    expect(numAcceptedTokens).toBe(numDraftTokens);
    expect(numAcceptedTokens + steps.filter((step) => step.entries[0]!.isSampling).length).toBe(24);
    expect(speculated.summary.timings.timePerOutputTokenMs).not.toBeNull();
  });

  it("gives plain decoding's output when every draft is wrong", async () => {
    const plain = await createEngine().engine.submit(request({id: "wrong"})).collect();
    const wrong = (history: readonly number[], maxNumTokens: number) => Array.from({length: maxNumTokens}, () => 25 - (history.length % 3));
    const {engine} = createEngine({maxDraftTokens: 4, drafter: wrong});
    const speculated = await engine.submit(request({id: "wrong"})).collect();
    expect(speculated.tokenIds).toEqual(plain.tokenIds);
    expect(speculated.summary.speculation!.numAcceptedTokens).toBeLessThan(speculated.summary.speculation!.numDraftTokens);
  });

  it("ends at a stop string inside a burst of accepted tokens, and drops what follows", async () => {
    const plain = await createEngine().engine.submit(request({id: "stop"})).collect();
    const stop = plain.text.slice(9, 11);
    const expected = plain.text.slice(0, plain.text.indexOf(stop));
    const {engine} = createEngine({maxDraftTokens: 8, drafter: oracleFrom(plain.tokenIds, 4)});
    const speculated = await engine.submit(request({id: "stop", stop: [stop]})).collect();
    expect(speculated.summary.finishReason).toBe("stop");
    expect(speculated.text).toBe(expected);
  });

  it("ends at an end-of-generation token inside a burst without streaming it", async () => {
    const forcedToken = (_id: string, position: number) => (position === 6 ? FAKE_EOG_TOKEN : undefined);
    const plain = await createEngine({forcedToken}).engine.submit(request({id: "eog"})).collect();
    expect(plain.tokenIds).toHaveLength(6);
    const {engine} = createEngine({forcedToken, maxDraftTokens: 8, drafter: oracleFrom([...plain.tokenIds, FAKE_EOG_TOKEN, 0, 0, 0], 4)});
    const speculated = await engine.submit(request({id: "eog"})).collect();
    expect(speculated.tokenIds).toEqual(plain.tokenIds);
    expect(speculated.summary).toMatchObject({finishReason: "stop", numOutputTokens: 6});
  });

  it("does not speculate for a request that opts out", async () => {
    const {engine, executor} = createEngine({maxDraftTokens: 4, drafter: () => [0, 0, 0, 0]});
    const run = await engine.submit(request({isSpeculationAllowed: false})).collect();
    expect(run.summary.speculation).toBeUndefined();
    expect(executor.steps.every((step) => step.scheduled.every((entry) => entry.maxNumDraftTokens === 0))).toBe(true);
  });
});
