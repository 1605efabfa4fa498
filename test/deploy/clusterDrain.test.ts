/**
 * The drain contract end to end, with the real HAProxy and the servers' default --drain-delay: SIGTERM
 * to one of 3 replicas while 20 streams run through HAProxy and new requests keep coming. No stream
 * is cut, no request is refused to a client, HAProxy marks the replica down before it stops
 * admitting, and the replica exits 0.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LocalCluster} from "../../deploy/local/LocalCluster.ts";
import {isHaproxySkipped, warnIfHaproxySkipped} from "../utils/haproxy.ts";
import {sendTurn, type TurnResult} from "./conversation.ts";
import {startStream} from "./streams.ts";

warnIfHaproxySkipped("cluster drain test");

// Info level: the replica's shutdown lines are part of the timeline the test reads.
const SERVER_ARGS = ["--model", "synthetic:tiny", "--threads", "1", "--parallel", "4", "--log-level", "info"];
const NUM_STREAMS = 20;
const STREAM_TOKENS = 400;

describe.skipIf(isHaproxySkipped)("SIGTERM to one of 3 replicas during 20 streams through HAProxy", () => {
  /** Every line of every process, in the order this process received them. */
  const timeline: string[] = [];
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({numReplicas: 3, serverArgs: SERVER_ARGS, onLine: (name, line) => timeline.push(`${name}: ${line}`)});
  });

  afterAll(async () => {
    await cluster?.kill();
  });

  it("cuts no stream, refuses no request, and is marked down by HAProxy before it stops admitting", async () => {
    const draining = cluster.replica("r1");
    // Keyless: round robin spreads them; each replica runs 4 and queues the rest.
    const streams = await Promise.all(Array.from({length: NUM_STREAMS}, () => startStream(cluster.url, {maxTokens: STREAM_TOKENS})));
    expect(streams.map((stream) => stream.status)).toEqual(Array.from({length: NUM_STREAMS}, () => 200));
    const onDraining = streams.filter((stream) => stream.servedBy === draining.name);
    expect(onDraining.length).toBeGreaterThan(0);
    await Promise.race(onDraining.map((stream) => stream.running));

    draining.process.child.kill("SIGTERM");
    // New requests keep coming, keyed so that some hash to the draining replica, until it has exited.
    const trickle: {readonly sentAt: number; readonly turn: TurnResult}[] = [];
    for (let index = 0; draining.process.isRunning; index++) {
      const sentAt = timeline.push(`test: sending trickle ${index}`) - 1;
      trickle.push({sentAt, turn: await sendTurn(cluster.url, 0, {header: `trickle-${index % 12}`}, `trickle ${index % 12}. `)});
    }
    expect((await draining.process.exited).code).toBe(0);

    const ends = await Promise.all(streams.map((stream) => stream.ended));
    for (const [index, end] of ends.entries()) {
      expect([end.isDone, end.finishReason, end.generatedTokens, end.error], `stream ${index} on ${streams[index]!.servedBy}`)
        .toEqual([true, "length", STREAM_TOKENS, null]);
    }
    expect(trickle.length).toBeGreaterThan(0);
    expect(trickle.filter(({turn}) => turn.status !== 200)).toEqual([]);

    const markedDown = timeline.findIndex((line) => line.startsWith("haproxy: ") && line.includes(`Server inflight/${draining.name} is DOWN`));
    const stoppedAdmitting = timeline.findIndex((line) => line.startsWith(`${draining.name}: `) && line.includes("SIGTERM: refusing new requests"));
    const startedDraining = timeline.findIndex((line) => line.startsWith(`${draining.name}: `) && line.includes("SIGTERM: draining"));
    expect(startedDraining).toBeGreaterThanOrEqual(0);
    expect(markedDown).toBeGreaterThan(startedDraining);
    expect(stoppedAdmitting).toBeGreaterThan(markedDown);
    // Once marked down, HAProxy sent it nothing more: what was sent after that went to the others.
    const sentAfterDown = trickle.filter(({sentAt}) => sentAt > markedDown);
    expect(sentAfterDown.length).toBeGreaterThan(0);
    expect(sentAfterDown.filter(({turn}) => turn.servedBy === draining.name)).toEqual([]);
  });
});
