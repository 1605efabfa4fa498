/**
 * Admission order (fcfs, priority), addRequest refusals, config validation, and the rule that
 * schedule() and update() alternate.
 */

import {describe, expect, it} from "vitest";
import {Scheduler} from "../../scheduler/Scheduler.ts";
import {addAll, createHarness, createRequests, createScheduler, defaultSchedulerConfig, FakeClock, type SchedulerHarness} from "../utils/schedulerBuilders.ts";

/** Ids in the order they were first placed into a sequence, over a full run. */
function placementOrder(harness: SchedulerHarness): string[] {
  const order: string[] = [];
  while (harness.scheduler.hasWork()) {
    const {output} = harness.step();
    for (const entry of output.scheduled) if (entry.isNewlyPlaced) order.push(entry.requestId);
  }
  return order;
}

describe("admission order", () => {
  it("admits in arrival order under fcfs, ignoring priority", () => {
    const harness = createHarness({numSequences: 2, policy: "fcfs"});
    addAll(harness.scheduler, createRequests(5, (index) => ({priority: [2, 0, 1, 0, 2][index]!, maxTokens: 3})));
    expect(placementOrder(harness)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
  });

  it("admits lower priority values first, ties in arrival order", () => {
    const harness = createHarness({numSequences: 1, policy: "priority"});
    addAll(harness.scheduler, createRequests(5, (index) => ({priority: [2, 0, 1, 0, 2][index]!, maxTokens: 3})));
    expect(placementOrder(harness)).toEqual(["r1", "r3", "r2", "r0", "r4"]);
  });

  it("lets a later, better request overtake the queue but not a running one without preemption", () => {
    const harness = createHarness({numSequences: 1, policy: "priority", isPreemptionEnabled: false});
    addAll(harness.scheduler, createRequests(2, {priority: 5, maxTokens: 4}));
    harness.step();
    addAll(harness.scheduler, createRequests(1, {id: "urgent", priority: 0, maxTokens: 2}));
    const order = placementOrder(harness);
    expect(order).toEqual(["urgent", "r1"]);
    expect(harness.scheduler.stats.numPreemptionsTotal).toBe(0);
  });
});

describe("addRequest refusals", () => {
  it("refuses prompts that leave no room for one output token", () => {
    const scheduler = createScheduler({sequenceCapacity: 16});
    const [fits, full, over] = createRequests(3, (index) => ({promptTokens: new Array<number>([15, 16, 17][index]!).fill(7)}));
    expect(scheduler.addRequest(fits!)).toEqual({isAccepted: true});
    expect(scheduler.addRequest(full!)).toEqual({isAccepted: false, reason: "too_long"});
    expect(scheduler.addRequest(over!)).toEqual({isAccepted: false, reason: "too_long"});
    expect(scheduler.stats.numWaiting).toBe(1);
  });

  it("refuses arrivals beyond maxQueueLength, counting waiting requests only", () => {
    const harness = createHarness({numSequences: 2, maxQueueLength: 3});
    const specs = createRequests(7, {maxTokens: 50});
    addAll(harness.scheduler, specs.slice(0, 3));
    expect(harness.scheduler.addRequest(specs[3]!)).toEqual({isAccepted: false, reason: "queue_full"});
    harness.step();
    // Two were admitted, so two places opened in the queue.
    expect(harness.scheduler.stats).toMatchObject({numWaiting: 1, numRunning: 2});
    addAll(harness.scheduler, specs.slice(3, 5));
    expect(harness.scheduler.addRequest(specs[5]!)).toEqual({isAccepted: false, reason: "queue_full"});
    harness.scheduler.abort("r4");
    expect(harness.scheduler.addRequest(specs[5]!)).toEqual({isAccepted: true});
  });

  it("refuses an id that is live and accepts it again once finished", () => {
    const harness = createHarness();
    const [spec] = createRequests(1, {maxTokens: 2});
    addAll(harness.scheduler, [spec!]);
    expect(harness.scheduler.addRequest(spec!)).toEqual({isAccepted: false, reason: "duplicate_id"});
    harness.step();
    expect(harness.scheduler.addRequest(spec!)).toEqual({isAccepted: false, reason: "duplicate_id"});
    expect(harness.runUntilIdle().map(({requestId}) => requestId)).toEqual(["r0"]);
    expect(harness.scheduler.addRequest(spec!)).toEqual({isAccepted: true});
  });

  it("throws on malformed specs instead of refusing them", () => {
    const scheduler = createScheduler();
    const [spec] = createRequests(1);
    expect(() => scheduler.addRequest({...spec!, promptTokens: []})).toThrow(RangeError);
    expect(() => scheduler.addRequest({...spec!, maxTokens: 0})).toThrow(RangeError);
    expect(() => scheduler.addRequest({...spec!, maxTokens: 1.5})).toThrow(RangeError);
    expect(() => scheduler.addRequest({...spec!, priority: Number.NaN})).toThrow(RangeError);
    expect(scheduler.hasWork()).toBe(false);
  });
});

describe("config validation", () => {
  const clock = new FakeClock().now;
  it.each([
    ["no sequences", {numSequences: 0}],
    ["fractional sequences", {numSequences: 1.5}],
    ["a capacity without room for output", {sequenceCapacity: 1}],
    ["a zero budget", {maxNumBatchedTokens: 0}],
    ["an infinite budget", {maxNumBatchedTokens: Number.POSITIVE_INFINITY}],
    ["a zero queue", {maxQueueLength: 0}],
    ["an unknown policy", {policy: "lifo" as "fcfs"}]
  ])("throws on %s", (_, override) => {
    expect(() => new Scheduler({...defaultSchedulerConfig, clock, ...override})).toThrow(RangeError);
  });

  it("accepts a budget below the number of sequences", () => {
    const harness = createHarness({numSequences: 4, maxNumBatchedTokens: 2});
    addAll(harness.scheduler, createRequests(4, {promptTokens: [1, 2, 3], maxTokens: 3}));
    const finished = harness.runUntilIdle();
    expect(finished.map(({outputTokens}) => outputTokens.length)).toEqual([3, 3, 3, 3]);
  });
});

describe("schedule/update alternation", () => {
  it("refuses to schedule again before the last step is applied", () => {
    const harness = createHarness();
    addAll(harness.scheduler, createRequests(1));
    const output = harness.scheduler.schedule();
    expect(() => harness.scheduler.schedule()).toThrow(/update\(\) was not called/);
    harness.scheduler.update(output, harness.executor.execute(output));
    expect(() => harness.scheduler.update(output, harness.executor.execute(output))).toThrow(/not the step awaiting/);
  });

  it("returns an empty step when idle and lets it be skipped", () => {
    const harness = createHarness();
    const output = harness.scheduler.schedule();
    expect(output).toMatchObject({scheduled: [], numScheduledTokens: 0, preemptedIds: []});
    addAll(harness.scheduler, createRequests(1));
    expect(harness.scheduler.schedule().scheduled).toHaveLength(1);
  });
});
