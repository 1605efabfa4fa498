/**
 * Sticky assignment: the split over 10,000 user ids matches the weights within 1 percentage point, a
 * user always gets the same variant, a canary growing from 5% to 10% only takes users from stable,
 * keyless requests split at random by weight, and the sticky key is the session key by default
 * (`x-session-id`, else `user`), or the `user` field only, or a header.
 */
import {afterEach, describe, expect, it} from "vitest";
import {bucketOf, bucketRanges, NUM_BUCKETS} from "../../../server/canary/assignment.ts";
import type {VariantRouter} from "../../../server/canary/VariantRouter.ts";
import {createFakeRouter, seededRandom} from "./canaryApp.ts";

const users = Array.from({length: 10_000}, (_, index) => `user-${index}`);
const routers: VariantRouter[] = [];

function router(weights: Record<string, number>, options: {stickyKey?: string; random?: () => number} = {}): VariantRouter {
  const created = createFakeRouter({variants: Object.entries(weights).map(([name, weight]) => ({name, initialWeight: weight})), ...options});
  routers.push(created);
  return created;
}

function split(target: VariantRouter, keys: readonly (string | null)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const user of keys) {
    const {name} = target.assign({user}).variant;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

afterEach(async () => {
  for (const created of routers.splice(0)) {
    created.close();
    for (const variant of created.variants) await variant.model[Symbol.asyncDispose]();
  }
});

describe("bucket ranges", () => {
  it("stacks non-primary variants from bucket 0 and gives the primary the rest", () => {
    expect(bucketRanges([{name: "stable", weight: 90}, {name: "canary", weight: 10}])).toEqual([
      {name: "stable", start: 1000, end: NUM_BUCKETS},
      {name: "canary", start: 0, end: 1000}
    ]);
    expect(bucketRanges([{name: "stable", weight: 0}, {name: "canary", weight: 0}])).toEqual([{name: "stable", start: 0, end: NUM_BUCKETS}]);
  });

  it("hashes with the salt: the same key lands elsewhere under another salt", () => {
    expect(bucketOf("a", "alice")).toBe(bucketOf("a", "alice"));
    const moved = users.slice(0, 200).filter((user) => bucketOf("a", user) !== bucketOf("b", user));
    expect(moved.length).toBeGreaterThan(190);
  });
});

describe("sticky split", () => {
  it.each([
    [{stable: 90, canary: 10}],
    [{stable: 70, canary: 20, other: 10}],
    [{stable: 1, canary: 1}]
  ])("matches the weights %o within 1 percentage point over 10,000 users", (weights) => {
    const counts = split(router(weights), users);
    const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
    for (const [name, weight] of Object.entries(weights)) {
      expect(Math.abs((counts.get(name) ?? 0) / users.length - weight / total)).toBeLessThanOrEqual(0.01);
    }
  });

  it("gives a user the same variant every time", () => {
    const target = router({stable: 50, canary: 50});
    const first = users.slice(0, 1000).map((user) => target.assign({user}).variant.name);
    for (let round = 0; round < 3; round++) expect(users.slice(0, 1000).map((user) => target.assign({user}).variant.name)).toEqual(first);
    expect(new Set(first)).toEqual(new Set(["stable", "canary"]));
  });

  it("moves users only into the canary when it grows from 5% to 10%, and back out when it shrinks", () => {
    const target = router({stable: 95, canary: 5});
    const before = users.map((user) => target.assign({user}).variant.name);
    target.setWeight("stable", 90);
    target.setWeight("canary", 10);
    const after = users.map((user) => target.assign({user}).variant.name);
    const movedIn = users.filter((_, index) => before[index] === "stable" && after[index] === "canary").length;
    const movedOut = users.filter((_, index) => before[index] === "canary" && after[index] === "stable").length;
    expect(movedOut).toBe(0);
    expect(Math.abs(movedIn / users.length - 0.05)).toBeLessThanOrEqual(0.01);
    target.setWeight("canary", 0);
    expect(users.every((user) => target.assign({user}).variant.name === "stable")).toBe(true);
  });

  it("with two canaries, growing the last one only moves stable users into it", () => {
    const target = router({stable: 80, canaryA: 10, canaryB: 10});
    const before = users.map((user) => target.assign({user}).variant.name);
    target.setWeight("canaryB", 15);
    target.setWeight("stable", 75);
    const after = users.map((user) => target.assign({user}).variant.name);
    let numMoved = 0;
    for (let index = 0; index < users.length; index++) {
      if (before[index] === after[index]) continue;
      numMoved++;
      expect([before[index], after[index]]).toEqual(["stable", "canaryB"]);
    }
    expect(numMoved).toBeGreaterThan(300);
  });

  it("splits keyless requests at random by weight", () => {
    const counts = split(router({stable: 75, canary: 25}, {random: seededRandom(7)}), Array.from({length: 10_000}, () => null));
    expect(Math.abs(counts.get("canary")! / 10_000 - 0.25)).toBeLessThanOrEqual(0.01);
  });

  it("reads the key from a header when configured, and ignores the user field then", () => {
    const target = router({stable: 50, canary: 50}, {stickyKey: "x-user-id", random: seededRandom(3)});
    expect(target.keyOf({user: "alice", headers: {"x-user-id": "bob"}})).toBe("bob");
    expect(target.keyOf({user: "alice", headers: {}})).toBeNull();
    const byHeader = users.slice(0, 500).map((user) => target.assign({headers: {"x-user-id": user}}).variant.name);
    expect(users.slice(0, 500).map((user) => target.assign({headers: {"x-user-id": user}}).variant.name)).toEqual(byHeader);
  });

  it("uses the session key by default: x-session-id, else user; and tells the session key whatever the sticky key", () => {
    const target = router({stable: 50, canary: 50}, {random: seededRandom(5)});
    expect(target.stickyKey).toBe("session");
    expect(target.keyOf({user: "alice", headers: {"x-session-id": "conv-1"}})).toBe("conv-1");
    expect(target.keyOf({user: "alice", headers: {}})).toBe("alice");
    expect(target.keyOf({user: null, headers: {"x-session-id": ""}})).toBeNull();
    const assignment = target.assign({user: "alice", headers: {"x-session-id": "conv-1"}});
    expect([assignment.key, assignment.sessionKey]).toEqual(["conv-1", "conv-1"]);
    // One session, one variant, whether the key came as the header or as user.
    expect(target.assign({headers: {"x-session-id": "conv-1"}}).variant.name).toBe(target.assign({user: "conv-1"}).variant.name);

    const byUser = router({stable: 50, canary: 50}, {stickyKey: "user", random: seededRandom(5)});
    const userAssignment = byUser.assign({user: "alice", headers: {"x-session-id": "conv-1"}});
    expect([userAssignment.key, userAssignment.sessionKey]).toEqual(["alice", "conv-1"]);
  });
});
