/**
 * `--session-key`: each conversation of the chat dataset names itself with one id, as the
 * `x-session-id` header or the body's `user`, so that a load balancer keeps it on one replica. Ids
 * are unique per round, so a later round's conversations are new sessions, not returning ones.
 */
import {afterEach, describe, expect, it} from "vitest";
import {parseBenchArgs} from "../../bench/args.ts";
import {BenchConfigError, resolveConfig} from "../../bench/config.ts";
import {runLoad} from "../../bench/runLoad.ts";
import type {SessionKeyKind} from "../../bench/types.ts";
import {startFakeServer, type FakeServer, type ReceivedRequest} from "./fakeServer.ts";

let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const chat = {kind: "chat", turns: 3, systemLen: 10, inputLen: 5, outputLen: 2} as const;

/** Runs 2 rounds of 2 conversations x 3 turns and returns what the server received, by conversation. */
async function conversationsReceived(sessionKey: SessionKeyKind, transport: "sse" | "nonstream" | "ws" = "sse"): Promise<Map<string, ReceivedRequest[]>> {
  server = await startFakeServer({script: {ttftMs: 1, itlMs: 1, tokens: 2}});
  await runLoad({target: {url: server.url, model: "f"}, transport, workload: {kind: "concurrency", levels: [2]}, numRequests: 6, rounds: 2,
    warmupRequests: 0, dataset: chat, sessionKey});
  const byConversation = new Map<string, ReceivedRequest[]>();
  for (const request of server.requests) {
    const conversation = /^(L\d+R\d+-c\d+)t\d+$/.exec(request.requestId)![1]!;
    byConversation.set(conversation, [...(byConversation.get(conversation) ?? []), request]);
  }
  return byConversation;
}

describe("--session-key", () => {
  it("header: every turn of a conversation carries its id as x-session-id, unique per round", async () => {
    const byConversation = await conversationsReceived("header");
    expect(byConversation.size).toBe(4);
    for (const [conversation, requests] of byConversation) {
      expect(requests.map((request) => request.sessionHeader)).toEqual([conversation, conversation, conversation]);
      for (const request of requests) expect(request.body).not.toHaveProperty("user");
    }
  });

  it("user: the id goes in the body's user field, over HTTP and the websocket alike", async () => {
    for (const transport of ["nonstream", "ws"] as const) {
      const byConversation = await conversationsReceived("user", transport);
      for (const [conversation, requests] of byConversation) {
        expect(requests.map((request) => request.body["user"])).toEqual([conversation, conversation, conversation]);
        for (const request of requests) expect(request.sessionHeader).toBeUndefined();
      }
      await server?.close();
      server = undefined;
    }
  });

  it("sends no key by default", async () => {
    server = await startFakeServer({script: {ttftMs: 1, itlMs: 1, tokens: 2}});
    await runLoad({target: {url: server.url, model: "f"}, workload: {kind: "concurrency", levels: [1]}, numRequests: 3, warmupRequests: 0, dataset: chat});
    for (const request of server.requests) {
      expect(request.sessionHeader).toBeUndefined();
      expect(request.body).not.toHaveProperty("user");
    }
  });

  it("is read from the command line and refused where there are no conversations or no per-request headers", () => {
    expect(parseBenchArgs(["--url", "http://127.0.0.1:9", "--dataset", "chat", "--session-key", "header"]).config.sessionKey).toBe("header");
    const target = {url: "http://127.0.0.1:9"};
    expect(() => resolveConfig({target, sessionKey: "user"})).toThrow(BenchConfigError);
    expect(() => resolveConfig({target, dataset: {kind: "chat"}, transport: "ws", sessionKey: "header"})).toThrow(/websocket/);
    expect(resolveConfig({target, dataset: {kind: "chat"}, transport: "ws", sessionKey: "user"}).sessionKey).toBe("user");
  });
});
