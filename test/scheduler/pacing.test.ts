/**
 * Step pacing: the prefill a step carries beside decodes is sized from measured step times so that
 * running streams keep their pace, while prompts still get through, outputs stay those of an
 * uninterrupted run, and steps without decodes are not bounded.
 */

import {describe, expect, it} from "vitest";
import {AUTO_ITL_FACTOR, MIN_PREFILL_TOKENS, StepPacer} from "../../scheduler/StepPacer.ts";
import type {SchedulerConfig, SchedulerOutput} from "../../scheduler/types.ts";
import {addAll, createHarness, createRequests, FakeClock, promptTokens, referenceOutput} from "../utils/schedulerBuilders.ts";

/** A step's cost on a made-up device: a fixed part, a decode and a prefill token each cost their own. */
const FIXED_MS = 10;
const DECODE_MS = 5;
const PREFILL_TOKEN_MS = 1;

function isDecode(chunk: SchedulerOutput["scheduled"][number]): boolean {
  return chunk.tokens.length === 1 && chunk.isSampling;
}

function stepCostMs(output: SchedulerOutput): number {
  const numDecodes = output.scheduled.filter(isDecode).length;
  return FIXED_MS + DECODE_MS * numDecodes + PREFILL_TOKEN_MS * (output.numScheduledTokens - numDecodes);
}

/** Runs steps whose clock advances by `stepCostMs`; records each step's decodes and time. */
function pacedHarness(overrides: Partial<SchedulerConfig>) {
  const harness = createHarness({numSequences: 5, maxNumBatchedTokens: 512, sequenceCapacity: 2048, ...overrides});
  const steps: {numDecodes: number; durationMs: number; output: SchedulerOutput}[] = [];
  const step = () => {
    const output = harness.scheduler.schedule();
    harness.scheduler.checkInvariants();
    const durationMs = stepCostMs(output);
    harness.clock.advance(durationMs);
    const finished = harness.scheduler.update(output, harness.executor.execute(output));
    harness.scheduler.checkInvariants();
    steps.push({numDecodes: output.scheduled.filter(isDecode).length, durationMs, output});
    return finished;
  };
  return {...harness, steps, step};
}

/** Four streams reach decode; a 400-token prompt arrives once they have decoded a while; all run to the end. */
function runLongPromptBesideStreams(targetItlMs: SchedulerConfig["targetItlMs"]) {
  const harness = pacedHarness({targetItlMs});
  const streams = createRequests(4, (index) => ({promptTokens: promptTokens(index, 40), maxTokens: 200}));
  addAll(harness.scheduler, streams);
  for (let index = 0; index < 20; index++) harness.step();
  const long = {id: "long", promptTokens: promptTokens(9, 400), maxTokens: 4, priority: 0, arrivalMs: harness.clock.nowMs};
  addAll(harness.scheduler, [long]);
  const firstLongStep = harness.steps.length;
  const finished = [];
  while (harness.scheduler.hasWork()) finished.push(...harness.step());
  const besideStreams = harness.steps.slice(firstLongStep).filter(({numDecodes, output}) =>
    numDecodes === 4 && output.scheduled.some(({requestId}) => requestId === "long"));
  return {harness, finished, specs: [...streams, long], besideStreams};
}

describe("StepPacer", () => {
  it("bounds nothing before it has measured a decode step and a prefill token", () => {
    const clock = new FakeClock();
    const pacer = new StepPacer("auto", clock.now);
    expect(pacer.maxNumPrefillTokens(4)).toBe(Infinity);
    pacer.beginStep(4, 0, 0);
    clock.advance(30);
    pacer.endStep();
    expect(pacer.decodeStepMs(4)).toBe(30);
    expect(pacer.maxNumPrefillTokens(4)).toBe(Infinity);
  });

  it("sizes prefill so a step with decodes takes the target, never below the minimum, and leaves steps without decodes alone", () => {
    const clock = new FakeClock();
    const timed = (pacer: StepPacer, numDecodes: number, numPrefillTokens: number, durationMs: number) => {
      pacer.beginStep(numDecodes, numPrefillTokens, 0);
      clock.advance(durationMs);
      pacer.endStep();
    };
    const auto = new StepPacer("auto", clock.now);
    const fixed = new StepPacer(70, clock.now);
    const tight = new StepPacer(20, clock.now);
    for (const pacer of [auto, fixed, tight]) {
      timed(pacer, 4, 0, 30);
      timed(pacer, 4, 100, 130);
      // Drafts make a step cost more than its decodes: not a sample.
      pacer.beginStep(4, 0, 8);
      clock.advance(500);
      pacer.endStep();
    }
    expect(auto.prefillCost).toEqual({fixedMs: 0, msPerToken: 1});
    expect(auto.maxNumPrefillTokens(4)).toBe((AUTO_ITL_FACTOR - 1) * 30);
    expect(fixed.maxNumPrefillTokens(4)).toBe(40);
    expect(tight.maxNumPrefillTokens(4)).toBe(MIN_PREFILL_TOKENS);
    expect(auto.maxNumPrefillTokens(0)).toBe(Infinity);
    // Another number of decodes takes the nearest measured count's time.
    expect(auto.decodeStepMs(7)).toBe(30);
  });

  it("fits prefill's cost as a fixed part per step plus a part per token, and never cuts chunks below the fixed part's worth", () => {
    const clock = new FakeClock();
    const pacer = new StepPacer("auto", clock.now);
    const timed = (numDecodes: number, numPrefillTokens: number, durationMs: number) => {
      pacer.beginStep(numDecodes, numPrefillTokens, 0);
      clock.advance(durationMs);
      pacer.endStep();
    };
    timed(4, 0, 30);
    timed(4, 20, 30 + 25 + 20);
    timed(4, 100, 30 + 25 + 100);
    const cost = pacer.prefillCost!;
    expect(cost.fixedMs).toBeCloseTo(25, 6);
    expect(cost.msPerToken).toBeCloseTo(1, 6);
    // Twice the decode step leaves room for 5 tokens after the fixed part: chunks of 25 instead.
    expect(pacer.maxNumPrefillTokens(4)).toBe(25);
  });

  it("refuses a target that is neither a positive duration nor auto", () => {
    expect(() => new StepPacer(-5, () => 0)).toThrow(RangeError);
    expect(() => new StepPacer(Number.NaN, () => 0)).toThrow(RangeError);
  });
});

describe("scheduler with step pacing", () => {
  it("keeps each step beside four streams within twice their decode step while a long prompt is prefilled, with the same outputs", () => {
    const unpaced = runLongPromptBesideStreams(undefined);
    const paced = runLongPromptBesideStreams("auto");
    const decodeStepMs = FIXED_MS + 4 * DECODE_MS;
    // Without pacing the long prompt goes in whole beside the streams: one long stall.
    expect(Math.max(...unpaced.besideStreams.map(({durationMs}) => durationMs))).toBeGreaterThan(400);
    expect(paced.besideStreams.length).toBeGreaterThan(5);
    for (const {durationMs} of paced.besideStreams) expect(durationMs).toBeLessThanOrEqual(AUTO_ITL_FACTOR * decodeStepMs);
    for (const {finished, specs} of [unpaced, paced]) {
      expect(finished).toHaveLength(5);
      for (const spec of specs) {
        const request = finished.find(({requestId}) => requestId === spec.id)!;
        expect(request.outputTokens).toEqual(referenceOutput(spec, spec.maxTokens));
      }
    }
  });

  it("follows a fixed target and gives a prompt its whole budget when nothing decodes", () => {
    const {besideStreams} = runLongPromptBesideStreams(60);
    expect(besideStreams.length).toBeGreaterThan(10);
    for (const {durationMs} of besideStreams) expect(durationMs).toBeLessThanOrEqual(60);
    const alone = pacedHarness({targetItlMs: "auto", maxNumBatchedTokens: 256});
    addAll(alone.scheduler, createRequests(1, {promptTokens: promptTokens(1, 600), maxTokens: 2}));
    alone.step();
    expect(alone.steps[0]!.output.numScheduledTokens).toBe(256);
  });
});
