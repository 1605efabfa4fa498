/**
 * Choices of one prompt (`forkOf`): a choice waits until the choice it names has its whole prompt in
 * its sequence, then starts from a copy of it and feeds only the last prompt token; waiting choices
 * do not hold up other requests; a choice whose source is gone, or a scheduler that cannot copy,
 * places it like any other request. Outputs are those of independent requests.
 */
import {describe, expect, it} from "vitest";
import type {SchedulerRequestSpec} from "../../scheduler/types.ts";
import {addAll, createHarness, promptTokens, referenceOutput} from "../utils/schedulerBuilders.ts";

function spec(id: string, tokens: readonly number[], maxTokens: number, forkOf?: string): SchedulerRequestSpec {
  return {id, promptTokens: tokens, maxTokens, priority: 0, arrivalMs: 0, ...(forkOf ? {forkOf} : {})};
}

describe("forked choices", () => {
  it("prefill the prompt once: the other choices copy it and feed one token", () => {
    const harness = createHarness({numSequences: 3, canCopySequences: true, maxNumBatchedTokens: 64});
    const prompt = promptTokens(4, 20);
    const specs = [spec("p", prompt, 3), spec("c1", prompt, 3, "p"), spec("c2", prompt, 3, "p")];
    addAll(harness.scheduler, specs);
    const first = harness.step().output.scheduled;
    expect(first.map(({requestId, tokens}) => [requestId, tokens.length])).toEqual([["p", 20]]);
    const second = harness.step().output.scheduled;
    expect(second.map(({requestId, tokens, copyFrom}) => [requestId, tokens.length, copyFrom?.sequenceIndex])).toEqual([
      ["p", 1, undefined], ["c1", 1, first[0]!.sequenceIndex], ["c2", 1, first[0]!.sequenceIndex]
    ]);
    expect(second.filter(({requestId}) => requestId !== "p").every(({numComputedTokens}) => numComputedTokens === 19)).toBe(true);
    const finished = harness.runUntilIdle();
    for (const request of specs) {
      expect(finished.find(({requestId}) => requestId === request.id)?.outputTokens).toEqual(referenceOutput(request, 3));
    }
  });

  it("lets other requests pass a choice that waits", () => {
    const harness = createHarness({numSequences: 3, canCopySequences: true, maxNumBatchedTokens: 16});
    const prompt = promptTokens(5, 20);
    addAll(harness.scheduler, [spec("p", prompt, 2), spec("c", prompt, 2, "p"), spec("other", [7, 7], 2)]);
    const first = harness.step().output.scheduled;
    expect(first.map(({requestId}) => requestId)).toEqual(["p"]);
    const second = harness.step().output.scheduled.map(({requestId}) => requestId);
    expect(second).toContain("other");
    expect(second).not.toContain("c");
  });

  it("places a choice like any other once its source is gone, and ignores forks without copying", () => {
    const prompt = promptTokens(6, 10);
    const orphaned = createHarness({numSequences: 2, canCopySequences: true});
    addAll(orphaned.scheduler, [spec("p", prompt, 2), spec("c", prompt, 2, "p")]);
    orphaned.scheduler.abort("p");
    const placed = orphaned.step().output.scheduled[0]!;
    expect(placed.requestId).toBe("c");
    expect(placed.copyFrom).toBeUndefined();
    const plain = createHarness({numSequences: 2});
    addAll(plain.scheduler, [spec("p", prompt, 2), spec("c", prompt, 2, "p")]);
    expect(plain.step().output.scheduled.map(({requestId, copyFrom}) => [requestId, copyFrom])).toEqual([["p", undefined], ["c", undefined]]);
  });
});
