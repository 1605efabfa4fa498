/**
 * Queue order under both policies, resuming entries first within their class, and removal.
 */

import {describe, expect, it} from "vitest";
import {RequestQueue, type QueueEntry} from "../../scheduler/RequestQueue.ts";

function entry(id: string, priority: number, arrivalOrder: number, isResuming = false): QueueEntry {
  return {id, priority, arrivalOrder, isResuming};
}

function drain(queue: RequestQueue<QueueEntry>): string[] {
  const ids: string[] = [];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) ids.push(next.id);
  return ids;
}

describe("RequestQueue", () => {
  it("serves fcfs in arrival order whatever the priority or insertion order", () => {
    const queue = new RequestQueue<QueueEntry>("fcfs");
    for (const item of [entry("c", 0, 2), entry("a", 9, 0), entry("d", -5, 3), entry("b", 1, 1)]) queue.push(item);
    // Iteration shows the order without taking anything.
    expect([...queue].map(({id}) => id)).toEqual(["a", "b", "c", "d"]);
    expect(drain(queue)).toEqual(["a", "b", "c", "d"]);
  });

  it("serves lower priority values first, ties in arrival order", () => {
    const queue = new RequestQueue<QueueEntry>("priority");
    for (const item of [entry("late-high", 0, 5), entry("low", 3, 0), entry("early-high", 0, 1), entry("mid", 1, 2), entry("neg", -1, 4)]) {
      queue.push(item);
    }
    expect(drain(queue)).toEqual(["neg", "early-high", "late-high", "mid", "low"]);
  });

  it("puts resuming entries at the front of their priority class only", () => {
    const queue = new RequestQueue<QueueEntry>("priority");
    for (const item of [entry("p0", 0, 10), entry("p1-new", 1, 3), entry("p1-resumed", 1, 7, true), entry("p2-resumed", 2, 1, true)]) {
      queue.push(item);
    }
    expect(drain(queue)).toEqual(["p0", "p1-resumed", "p1-new", "p2-resumed"]);
  });

  it("puts resuming entries first under fcfs, among themselves in arrival order", () => {
    const queue = new RequestQueue<QueueEntry>("fcfs");
    for (const item of [entry("new", 0, 0), entry("resumed-late", 0, 9, true), entry("resumed-early", 0, 4, true)]) queue.push(item);
    expect(drain(queue)).toEqual(["resumed-early", "resumed-late", "new"]);
  });

  it("removes an entry from the middle and reports unknown ones", () => {
    const queue = new RequestQueue<QueueEntry>("priority");
    const items = [entry("a", 0, 0), entry("b", 0, 1), entry("c", 0, 2)];
    for (const item of items) queue.push(item);
    expect(queue.remove(items[1]!)).toBe(true);
    expect(queue.remove(items[1]!)).toBe(false);
    expect(queue.remove(entry("b", 0, 1))).toBe(false);
    expect(queue.size).toBe(2);
    expect([...queue].map(({id}) => id)).toEqual(["a", "c"]);
  });

  it("refuses the same entry twice", () => {
    const queue = new RequestQueue<QueueEntry>("fcfs");
    const item = entry("a", 0, 0);
    queue.push(item);
    expect(() => queue.push(item)).toThrow(/already queued/);
  });
});
