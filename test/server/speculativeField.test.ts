/**
 * The body's `speculative` field: a boolean on both completion endpoints (anything else is a 400 in
 * OpenAI's shape naming it); `false` reaches the engine as `isSpeculationAllowed: false`, and an
 * absent field leaves speculation allowed.
 */
import {afterAll, beforeAll, describe, expect, it, vi} from "vitest";
import type {GenerationRequest} from "../../engine/types.ts";
import {startFakeApp, type FakeApp} from "./fakeApp.ts";

let app: FakeApp;

beforeAll(async () => {
  app = await startFakeApp();
});

afterAll(async () => {
  await app?.[Symbol.asyncDispose]();
});

const endpoints = [
  ["/v1/chat/completions", {messages: [{role: "user", content: "hi"}], max_tokens: 2}],
  ["/v1/completions", {prompt: "hi", max_tokens: 2}]
] as const;

async function post(path: string, body: object) {
  const response = await fetch(`${app.url}${path}`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  return {status: response.status, body: (await response.json()) as {error?: {message: string; type: string; param: string | null; code: string | null}}};
}

/** Sends the body and returns the generation request the engine received. */
async function submitted(path: string, body: object): Promise<GenerationRequest> {
  const submit = vi.spyOn(app.model.engine, "submit");
  try {
    expect((await post(path, body)).status).toBe(200);
    expect(submit).toHaveBeenCalledTimes(1);
    return submit.mock.calls[0]![0];
  } finally {
    submit.mockRestore();
  }
}

describe.each(endpoints)("speculative on %s", (path, valid) => {
  it("refuses a non-boolean with 400 naming the field", async () => {
    const bad = await post(path, {...valid, speculative: "yes"});
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({param: "speculative", type: "invalid_request_error"});
    expect(typeof bad.body.error!.message).toBe("string");
  });

  it("passes false to the engine as isSpeculationAllowed: false", async () => {
    expect((await submitted(path, {...valid, speculative: false})).isSpeculationAllowed).toBe(false);
  });

  it.each([["absent", {}], ["null", {speculative: null}], ["true", {speculative: true}]])("allows speculation when %s", async (_name, extra) => {
    expect((await submitted(path, {...valid, ...extra})).isSpeculationAllowed).not.toBe(false);
  });
});
