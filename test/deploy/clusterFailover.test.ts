/**
 * A replica killed with SIGKILL under load, behind the real HAProxy: requests that had not started
 * are retried on another replica and succeed; the streams that were on the dead replica end at once,
 * cut (no [DONE]), instead of hanging; the others finish; a conversation that lived on the dead
 * replica continues on a survivor, and one that lived on a survivor stays there.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LocalCluster} from "../../deploy/local/LocalCluster.ts";
import {isHaproxySkipped, warnIfHaproxySkipped} from "../utils/haproxy.ts";
import {sendTurn} from "./conversation.ts";
import {startStream} from "./streams.ts";

warnIfHaproxySkipped("cluster failover test");

const SERVER_ARGS = ["--model", "synthetic:tiny", "--threads", "1", "--parallel", "4", "--log-level", "warn"];

describe.skipIf(isHaproxySkipped)("kill -9 of one of 3 replicas under load", () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({numReplicas: 3, serverArgs: SERVER_ARGS});
  });

  afterAll(async () => {
    await cluster?.kill();
  });

  /** A session key whose first turn HAProxy sends to a replica for which `isWanted` holds. */
  async function keyLandingOn(isWanted: (replica: string) => boolean, prefix: string): Promise<{key: string; replica: string}> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const key = `${prefix}-${attempt}`;
      const turn = await sendTurn(cluster.url, 0, {header: key}, `${key}. `);
      expect(turn.status).toBe(200);
      if (isWanted(turn.servedBy!)) return {key, replica: turn.servedBy!};
    }
    throw new Error(`no key of 50 landed where wanted`);
  }

  it("retries what had not started elsewhere, cuts only the dead replica's streams, and moves only its sessions", async () => {
    const moving = await keyLandingOn(() => true, "moving");
    const victim = moving.replica;
    const staying = await keyLandingOn((replica) => replica !== victim, "staying");

    // Keyless: round robin puts two on each replica.
    const streams = await Promise.all(Array.from({length: 6}, () => startStream(cluster.url, {maxTokens: 1500})));
    expect(streams.map((stream) => stream.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await Promise.all(streams.map((stream) => stream.running));
    const onVictim = streams.filter((stream) => stream.servedBy === victim);
    expect(onVictim.length).toBeGreaterThan(0);

    const killed = await cluster.replica(victim).process.stop("SIGKILL");
    expect(killed.signal).toBe("SIGKILL");

    // Sent before HAProxy's health check has noticed: a first try is refused, the retry goes elsewhere.
    const afterKill = await Promise.all([
      ...Array.from({length: 4}, (_, index) => sendTurn(cluster.url, 0, {}, `after-kill-${index}. `)),
      sendTurn(cluster.url, 1, {header: moving.key}, `${moving.key}. `),
      sendTurn(cluster.url, 1, {header: staying.key}, `${staying.key}. `)
    ]);
    for (const turn of afterKill) {
      expect(turn.status).toBe(200);
      expect(turn.servedBy).not.toBe(victim);
    }
    expect(afterKill.at(-1)!.servedBy).toBe(staying.replica);

    // Once the health check has marked it down, its sessions hash to one survivor and stay there;
    // the others' stay where they were, their prefixes still cached.
    await cluster.haproxy.waitForLine(new RegExp(`Server inflight/${victim} is DOWN`));
    const moved = [await sendTurn(cluster.url, 2, {header: moving.key}, `${moving.key}. `), await sendTurn(cluster.url, 3, {header: moving.key}, `${moving.key}. `)];
    expect(moved[0]!.servedBy).not.toBe(victim);
    expect(moved[1]!.servedBy).toBe(moved[0]!.servedBy);
    expect(moved[1]!.cachedTokens).toBeGreaterThan(0);
    const stayed = await sendTurn(cluster.url, 2, {header: staying.key}, `${staying.key}. `);
    expect([stayed.servedBy, stayed.cachedTokens > 0]).toEqual([staying.replica, true]);

    const ends = await Promise.all(streams.map((stream) => stream.ended));
    streams.forEach((stream, index) => {
      const end = ends[index]!;
      if (stream.servedBy === victim) expect(end.isDone, `stream ${index} on the dead replica`).toBe(false);
      else expect([end.isDone, end.finishReason, end.generatedTokens], `stream ${index} on ${stream.servedBy}`).toEqual([true, "length", 1500]);
    });
  });
});
