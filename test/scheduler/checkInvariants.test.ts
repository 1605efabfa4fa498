/**
 * The invariant checker itself: it accepts a consistent state and names each kind of corruption.
 */

import {describe, expect, it} from "vitest";
import type {KvSequenceView} from "../../kvcache/index.ts";
import {checkSchedulerInvariants, type SchedulerInternals} from "../../scheduler/checkInvariants.ts";
import {RequestQueue} from "../../scheduler/RequestQueue.ts";
import type {RequestState} from "../../scheduler/RequestState.ts";
import type {StepAccounting} from "../../scheduler/Scheduler.ts";
import type {SequenceSlot} from "../../scheduler/SequenceTable.ts";
import {defaultSchedulerConfig, FakeClock} from "../utils/schedulerBuilders.ts";

function request(id: string, overrides: Partial<RequestState> = {}): RequestState {
  return {
    id, numPromptTokens: 4, allTokens: [1, 2, 3, 4], maxTokens: 8, priority: 0, arrivalMs: 0, deadlineMs: undefined,
    arrivalOrder: Number(id.slice(1)), status: "waiting", isResuming: false, admissionOrder: -1, numComputedTokens: 0,
    sequenceIndex: null, isNewlyPlaced: false, restoreFrom: undefined, copyFrom: undefined, forkOf: undefined, isSpeculationAllowed: true,
    isPrefixReuseAllowed: true, ...overrides
  };
}

interface MutableState {
  config: SchedulerInternals["config"];
  requests: Map<string, RequestState>;
  queue: RequestQueue<RequestState>;
  running: RequestState[];
  sequences: SequenceSlot<RequestState>[];
  kvSequences: KvSequenceView[];
  numWaiting: number;
  lastStep: StepAccounting | null;
  stats: {
    numWaiting: number; numRunning: number; numPreempted: number; numFreeSequences: number; numPreemptionsTotal: number; numPrefixQueryTokensTotal: number;
    numPrefixHitTokensTotal: number; numHostPrefixHitTokensTotal: number; numPrefixEvictionsTotal: number; kvUsage: number; numKvBlocksUsed: number; numKvBlocksTotal: number; kvBlockSize: number;
    draftAcceptanceRate: number | null;
  };
}

/**
 * A consistent state: r0 running in sequence 0 (decode), r1 waiting, sequence 1 free holding 2 tokens
 * (one block of 16 of the 2 x 256 / 16 = 32); the last step decoded r0.
 */
function consistentState(): MutableState {
  const running = request("r0", {status: "running", sequenceIndex: 0, admissionOrder: 0, allTokens: [1, 2, 3, 4, 9], numComputedTokens: 4});
  const waiting = request("r1");
  const queue = new RequestQueue<RequestState>("fcfs");
  queue.push(waiting);
  const output = {stepId: 3, scheduled: [{requestId: "r0", sequenceIndex: 0, isNewlyPlaced: false, numComputedTokens: 3, tokens: [4], isSampling: true, maxNumDraftTokens: 0}], numScheduledTokens: 1, preemptedIds: []};
  return {
    config: {...defaultSchedulerConfig, numSequences: 2, clock: new FakeClock().now},
    requests: new Map([["r0", running], ["r1", waiting]]),
    queue,
    running: [running],
    sequences: [{index: 0, owner: running}, {index: 1, owner: null}],
    kvSequences: [{index: 0, isRunning: true, numTokens: 4, numBlocks: 1}, {index: 1, isRunning: false, numTokens: 2, numBlocks: 1}],
    numWaiting: 1,
    lastStep: {output, numDecodeCandidates: 1, numDecodesScheduled: 1},
    stats: {
      numWaiting: 1, numRunning: 1, numPreempted: 0, numFreeSequences: 1, numPreemptionsTotal: 0, numPrefixQueryTokensTotal: 4, numPrefixHitTokensTotal: 0, numHostPrefixHitTokensTotal: 0,
      numPrefixEvictionsTotal: 0, kvUsage: 1 / 32, numKvBlocksUsed: 1, numKvBlocksTotal: 32, kvBlockSize: 16, draftAcceptanceRate: null
    }
  };
}

describe("checkSchedulerInvariants", () => {
  it("accepts a consistent state", () => {
    expect(() => checkSchedulerInvariants(consistentState())).not.toThrow();
  });

  it.each<[string, (state: MutableState) => void, RegExp]>([
    ["a sequence owned by a request that thinks it is elsewhere", (state) => { state.running[0]!.sequenceIndex = 1; }, /thinks it is in 1/],
    ["two running requests on one sequence", (state) => {
      const intruder = request("r2", {status: "running", sequenceIndex: 0, admissionOrder: 1});
      state.requests.set("r2", intruder);
      state.running.push(intruder);
      state.stats.numRunning = 2;
    }, /does not own sequence 0|1 free \+ 2 running/],
    ["free and occupied sequences not adding up", (state) => { state.sequences[1]!.owner = state.running[0]!; }, /thinks it is in 0|free \+/],
    ["a request both queued and running", (state) => { state.queue.push(state.running[0]!); }, /queued request r0 is running/],
    ["a request in no state", (state) => { state.requests.set("r5", request("r5")); }, /in two states or none/],
    ["a running request with nothing left to feed", (state) => { state.running[0]!.numComputedTokens = 5; }, /at least one must remain/],
    ["a live request at maxTokens", (state) => { state.requests.get("r1")!.allTokens.push(...new Array<number>(8).fill(0)); }, /is not finished/],
    ["more waiting than the queue allows", (state) => {
      state.config = {...state.config, maxQueueLength: 1};
      const extra = request("r2");
      state.requests.set("r2", extra);
      state.queue.push(extra);
      state.numWaiting = 2;
      state.stats.numWaiting = 2;
    }, /exceeds maxQueueLength/],
    ["a stale waiting count", (state) => { state.numWaiting = 0; }, /waiting count/],
    ["a queued request holding computed tokens", (state) => { state.requests.get("r1")!.numComputedTokens = 2; }, /claims a sequence or computed tokens/],
    ["a step over budget", (state) => {
      state.lastStep = {...state.lastStep!, output: {...state.lastStep!.output, numScheduledTokens: 65, scheduled: [{...state.lastStep!.output.scheduled[0]!, tokens: new Array<number>(65).fill(1)}]}};
    }, /over the budget/],
    ["a step that left a decode out", (state) => { state.lastStep = {...state.lastStep!, numDecodeCandidates: 2}; }, /scheduled 1 of 2 running decodes/],
    ["a step that schedules a request twice", (state) => {
      const entry = state.lastStep!.output.scheduled[0]!;
      state.lastStep = {...state.lastStep!, output: {...state.lastStep!.output, numScheduledTokens: 2, scheduled: [entry, {...entry, sequenceIndex: 1}]}};
    }, /schedules a request twice/],
    ["more prefix hits than queries", (state) => { state.stats.numPrefixHitTokensTotal = 5; }, /more prefix hits/],
    ["a free sequence the KV ledger thinks is running", (state) => { state.kvSequences[1] = {...state.kvSequences[1]!, isRunning: true}; }, /ledger has sequence 1 running/],
    ["a KV ledger holding less than the owner computed", (state) => { state.kvSequences[0] = {...state.kvSequences[0]!, numTokens: 3}; }, /ledger holds 3 tokens in sequence 0/],
    ["KV block stats out of step with the ledger", (state) => { state.stats.numKvBlocksUsed = 2; }, /2 KV blocks used/],
    ["a KV usage that is not used over total", (state) => { state.stats.kvUsage = 0.5; }, /KV usage 0.5/]
  ])("throws on %s", (_, corrupt, message) => {
    const state = consistentState();
    corrupt(state);
    expect(() => checkSchedulerInvariants(state)).toThrow(message);
  });
});
