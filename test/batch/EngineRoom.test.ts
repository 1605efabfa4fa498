/**
 * EngineRoom: how many batch requests an engine may take. All of its sequences when idle (up to
 * --batch-max-in-flight); beside online requests at most --batch-max-beside-online, never in a sequence
 * they use; and a peak of online requests keeps
 * its sequences reserved for the hold time after it ends, so a client between two requests finds its
 * sequence free. Driven with a fake engine's stats and an injected clock.
 */
import {expect, it} from "vitest";
import type {Engine} from "../../engine/Engine.ts";
import {EngineRoom} from "../../server/batch/EngineRoom.ts";

const NUM_SEQUENCES = 4;
const HOLD_MS = 1000;

function fakeEngine() {
  const load = {running: 0, waiting: 0};
  const engine = {
    get stats() { return {numRunning: load.running, numWaiting: load.waiting, numPreempted: 0}; },
    scheduler: {getSequences: () => Array.from({length: NUM_SEQUENCES})}
  } as unknown as Engine;
  return {engine, load};
}

it("gives an idle engine every sequence, up to the in-flight limit", () => {
  const {engine} = fakeEngine();
  expect(new EngineRoom(engine, {maxInFlight: Infinity, maxBesideOnline: Infinity, holdMs: HOLD_MS}).available()).toBe(NUM_SEQUENCES);
  expect(new EngineRoom(engine, {maxInFlight: 2, maxBesideOnline: Infinity, holdMs: HOLD_MS}).available()).toBe(2);
});

it("leaves online requests their sequences, and a recent peak its hold time", () => {
  const {engine, load} = fakeEngine();
  let nowMs = 0;
  const room = new EngineRoom(engine, {maxInFlight: Infinity, maxBesideOnline: Infinity, holdMs: HOLD_MS, clock: () => nowMs});
  load.running = 2;
  expect(room.available()).toBe(2);
  room.numInFlight = 2;
  load.running = 4;
  expect(room.available()).toBe(0);
  // An online request finished and its client has not sent the next one yet.
  load.running = 3;
  nowMs += HOLD_MS / 2;
  expect(room.available()).toBe(0);
  nowMs += HOLD_MS;
  expect(room.available()).toBe(1);
});

it("takes nothing while online requests wait", () => {
  const {engine, load} = fakeEngine();
  const room = new EngineRoom(engine, {maxInFlight: Infinity, maxBesideOnline: Infinity, holdMs: HOLD_MS, clock: () => 0});
  room.numInFlight = 2;
  load.running = 4;
  load.waiting = 1;
  expect(room.available()).toBe(0);
  expect(room.numReserved).toBe(3);
});

it("by default starts no batch request while online ones run, and fills the engine once they are gone", () => {
  const {engine, load} = fakeEngine();
  let nowMs = 0;
  const room = new EngineRoom(engine, {maxInFlight: Infinity, maxBesideOnline: 0, holdMs: HOLD_MS, clock: () => nowMs});
  load.running = 1;
  expect(room.available()).toBe(0);
  load.running = 0;
  expect(room.available()).toBe(0);
  nowMs += 2 * HOLD_MS;
  expect(room.available()).toBe(NUM_SEQUENCES);
});
