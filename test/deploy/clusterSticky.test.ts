/**
 * Stickiness through the real HAProxy (the shipped configuration) in front of 3 replicas of the
 * synthetic tiny model: a conversation keyed by `x-session-id`, or else by the body's `user`, stays on
 * one replica, whose returning turns find at least 90% of the cached prompt tokens a single server
 * finds for the same conversation; without a key, turns spread over the replicas. A websocket keyed
 * by `?session=` lands on one replica too, and its completions stream through HAProxy's tunnel.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import WebSocket from "ws";
import {freeLoopbackPort} from "../../deploy/local/freePort.ts";
import {LocalCluster} from "../../deploy/local/LocalCluster.ts";
import {startReplica} from "../../deploy/local/replica.ts";
import {isHaproxySkipped, warnIfHaproxySkipped} from "../utils/haproxy.ts";
import {sendConversation, type TurnResult} from "./conversation.ts";

warnIfHaproxySkipped("cluster stickiness tests");

const SERVER_ARGS = ["--model", "synthetic:tiny", "--threads", "1", "--parallel", "4", "--log-level", "warn"];

/** Cached prompt tokens of the returning turns (2 to 4). */
const returningCached = (turns: readonly TurnResult[]): number[] => turns.slice(1).map((turn) => turn.cachedTokens);

describe.skipIf(isHaproxySkipped)("a conversation through HAProxy", () => {
  let reference: TurnResult[];
  let cluster: LocalCluster;

  beforeAll(async () => {
    const single = await startReplica({name: "single", host: "127.0.0.1", port: await freeLoopbackPort(), serverArgs: SERVER_ARGS});
    try {
      reference = await sendConversation(single.url);
    } finally {
      await single.process.stop("SIGKILL");
    }
    cluster = await LocalCluster.start({numReplicas: 3, serverArgs: SERVER_ARGS});
  });

  afterAll(async () => {
    await cluster?.kill();
  });

  it("stays on one replica by x-session-id, and its returning turns are cached as on a single server", async () => {
    const turns = await sendConversation(cluster.url, {header: "conversation-a"});
    expect(turns.map((turn) => turn.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(turns.map((turn) => turn.servedBy)).size).toBe(1);
    expect(turns.map((turn) => turn.promptTokens)).toEqual(reference.map((turn) => turn.promptTokens));
    const expected = returningCached(reference);
    for (const value of expected) expect(value).toBeGreaterThan(0);
    returningCached(turns).forEach((cached, index) => expect(cached, `turn ${index + 2}`).toBeGreaterThanOrEqual(0.9 * expected[index]!));
  });

  it("stays on one replica by the body's user when no header comes", async () => {
    const turns = await sendConversation(cluster.url, {user: "alice"}, "Second shop. ");
    expect(new Set(turns.map((turn) => turn.servedBy)).size).toBe(1);
    for (const cached of returningCached(turns)) expect(cached).toBeGreaterThan(0);
  });

  it("spreads turns over the replicas without a key", async () => {
    const turns = await sendConversation(cluster.url, {}, "Third shop. ");
    expect(turns.map((turn) => turn.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(turns.map((turn) => turn.servedBy)).size).toBeGreaterThan(1);
  });

  /** Opens the chat websocket through HAProxy; resolves with the replica that took the upgrade and one completion's text. */
  async function websocketTurn(session: string): Promise<{servedBy: string | undefined; done: Record<string, unknown>}> {
    const socket = new WebSocket(`${cluster.url.replace(/^http/, "ws")}/v1/chat/completions/ws?session=${session}`);
    // ws emits "open" in the same turn as "upgrade": both are listened to before either is awaited.
    const upgraded = new Promise<string | undefined>((resolve, reject) => {
      socket.once("upgrade", (response) => resolve(response.headers["x-served-by"] as string | undefined));
      socket.once("error", reject);
    });
    const opened = new Promise((resolve) => socket.once("open", resolve));
    const [servedBy] = await Promise.all([upgraded, opened]);
    const done = new Promise<Record<string, unknown>>((resolve) => socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message.type === "done" || message.type === "error") resolve(message);
    }));
    socket.send(JSON.stringify({request_id: "t", messages: [{role: "user", content: "hello"}], max_tokens: 3}));
    const result = {servedBy, done: await done};
    socket.close();
    return result;
  }

  it("keeps websockets of one ?session= on one replica", async () => {
    const first = await websocketTurn("socket-a");
    const second = await websocketTurn("socket-a");
    expect(first.done).toMatchObject({type: "done"});
    expect(first.servedBy).toMatch(/^r\d$/);
    expect(second.servedBy).toBe(first.servedBy);
  });
});
