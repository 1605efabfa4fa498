/**
 * Liveness and readiness as a load balancer sees them: /health is 200 from the start; /ready is 503
 * with the reason while the model loads and while it warms up, then 200.
 */
import {expect, it} from "vitest";
import {buildApp} from "../../server/app.ts";
import {ModelRegistry} from "../../server/ModelRegistry.ts";
import {createFakeServedModel} from "../utils/fakeServedModel.ts";

it("is live at once and ready only after loading and warming up", async () => {
  const registry = new ModelRegistry();
  let startupReason: string | null = null;
  const app = buildApp({registry, notReadyReason: () => startupReason});
  const probe = async () => {
    const [health, ready] = await Promise.all([app.inject({url: "/health"}), app.inject({url: "/ready"})]);
    return {health: [health.statusCode, health.json()], ready: [ready.statusCode, ready.json()], retryAfter: ready.headers["retry-after"]};
  };
  try {
    expect(await probe()).toEqual({
      health: [200, {status: "loading"}], ready: [503, {status: "not_ready", reason: "the model is loading"}], retryAfter: "1"
    });
    registry.add(createFakeServedModel());
    startupReason = "the model is warming up";
    expect((await probe()).ready).toEqual([503, {status: "not_ready", reason: "the model is warming up"}]);
    startupReason = null;
    registry.markReady();
    expect(await probe()).toEqual({health: [200, {status: "ok"}], ready: [200, {status: "ready"}], retryAfter: undefined});
  } finally {
    await app.close();
    await registry[Symbol.asyncDispose]();
  }
});
