/**
 * The two steps of shutdown as clients and load balancers see them, in process (the signals and their
 * timing are `drain.test.ts`'s): draining (readiness 503 "draining", liveness still 200, requests still
 * served, every response closing its connection), then no longer admitting (503 `shutting_down` with
 * Retry-After, which a load balancer may resend elsewhere). Also the event stream's headers, which
 * buffering proxies read.
 */
import {describe, expect, it} from "vitest";
import {ModelRegistry} from "../../server/ModelRegistry.ts";
import {createFakeServedModel} from "../utils/fakeServedModel.ts";
import {serveRegistry} from "../utils/servedApp.ts";
import {WsTestClient} from "./wsClient.ts";

const chat = (stream = false) => ({
  method: "POST" as const, url: "/v1/chat/completions",
  payload: {messages: [{role: "user", content: "hello"}], max_tokens: 3, stream}
});

describe("draining", () => {
  it("turns readiness to 503 draining at once while still serving, then refuses with a retryable 503", async () => {
    const registry = new ModelRegistry();
    registry.add(createFakeServedModel());
    await using served = await serveRegistry(registry, {}, {isListening: false});
    const {app} = served;
    expect((await app.inject({url: "/ready"})).statusCode).toBe(200);

    registry.startDraining();
    const ready = await app.inject({url: "/ready"});
    expect([ready.statusCode, ready.json(), ready.headers["retry-after"]]).toEqual([503, {status: "not_ready", reason: "draining"}, "1"]);
    const health = await app.inject({url: "/health"});
    expect([health.statusCode, health.json()]).toEqual([200, {status: "draining"}]);
    const admitted = await app.inject(chat());
    expect(admitted.statusCode).toBe(200);
    expect(admitted.headers.connection).toBe("close");

    registry.stopAdmitting();
    const refused = await app.inject(chat());
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(refused.json()).toMatchObject({error: {type: "server_error", code: "shutting_down"}});
    expect((await app.inject({url: "/ready"})).json()).toEqual({status: "not_ready", reason: "draining"});
  });

  it("reports draining rather than a start-up reason when shutdown begins during the warm-up", async () => {
    const registry = new ModelRegistry();
    registry.add(createFakeServedModel());
    await using served = await serveRegistry(registry, {notReadyReason: () => "the model is warming up"}, {isListening: false});
    expect((await served.app.inject({url: "/ready"})).json()).toEqual({status: "not_ready", reason: "the model is warming up"});
    registry.startDraining();
    expect((await served.app.inject({url: "/ready"})).json()).toEqual({status: "not_ready", reason: "draining"});
  });

  it("keeps connections open while not draining", async () => {
    const registry = new ModelRegistry();
    registry.add(createFakeServedModel());
    await using served = await serveRegistry(registry, {}, {isListening: false});
    expect((await served.app.inject(chat())).headers.connection).not.toBe("close");
  });
});

describe("websockets while shutting down", () => {
  it("refuse new request ids with 503 once admission stops, and are closed with 1001 when the server closes", async () => {
    const registry = new ModelRegistry();
    registry.add(createFakeServedModel());
    const served = await serveRegistry(registry);
    try {
      const client = await WsTestClient.open(served.url);
      const closeCode = new Promise<number>((resolve) => client.socket.once("close", resolve));
      registry.startDraining();
      client.send({request_id: "a", messages: [{role: "user", content: "hi"}], max_tokens: 2});
      expect(await client.terminal("a")).toMatchObject({type: "done"});
      registry.stopAdmitting();
      client.send({request_id: "b", messages: [{role: "user", content: "hi"}], max_tokens: 2});
      expect(await client.terminal("b")).toMatchObject({type: "error", status: 503, error: {code: "shutting_down"}});
      await served.app.close();
      expect(await closeCode).toBe(1001);
    } finally {
      await served[Symbol.asyncDispose]();
    }
  });
});

describe("event stream headers", () => {
  it("tell buffering proxies not to hold tokens back", async () => {
    const registry = new ModelRegistry();
    registry.add(createFakeServedModel());
    await using served = await serveRegistry(registry);
    const response = await fetch(`${served.url}/v1/chat/completions`, {
      method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(chat(true).payload)
    });
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(await response.text()).toMatch(/data: \[DONE\]\n\n$/);
  });
});
