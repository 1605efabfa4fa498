/**
 * Bad requests get the right 4xx in OpenAI's error shape, naming the field, and the server keeps
 * serving: after every bad request a valid one succeeds.
 */
import {describe, expect, it} from "vitest";
import {perSuite} from "../utils/perSuite.ts";
import {startSyntheticServer} from "../utils/syntheticServer.ts";

const server = perSuite(() => startSyntheticServer({parallel: 2, ctxSize: 256}));

const valid = {model: "tiny", messages: [{role: "user", content: "hi"}], max_tokens: 2};

async function post(path: string, body: string, contentType = "application/json") {
  const response = await fetch(`${server().url}${path}`, {method: "POST", headers: {"content-type": contentType}, body});
  return {status: response.status, body: (await response.json()) as {error?: {message: string; type: string; param: string | null; code: string | null}}};
}

const cases: [name: string, body: string, status: number, param: string | null, code?: string][] = [
  ["malformed JSON", `{"messages": [`, 400, null],
  ["a JSON array body", `[1, 2]`, 400, null, "invalid_body"],
  ["messages of the wrong type", JSON.stringify({...valid, messages: "hello"}), 400, "messages"],
  ["empty messages", JSON.stringify({...valid, messages: []}), 400, "messages"],
  ["a message without content", JSON.stringify({...valid, messages: [{role: "user"}]}), 400, "messages[0].content"],
  ["an unknown role", JSON.stringify({...valid, messages: [{role: "wizard", content: "x"}]}), 400, "messages[0].role"],
  ["negative max_tokens", JSON.stringify({...valid, max_tokens: -5}), 400, "max_tokens"],
  ["fractional max_tokens", JSON.stringify({...valid, max_tokens: 2.5}), 400, "max_tokens"],
  ["temperature as a string", JSON.stringify({...valid, temperature: "hot"}), 400, "temperature"],
  ["temperature out of range", JSON.stringify({...valid, temperature: 7}), 400, "temperature"],
  ["n > 1", JSON.stringify({...valid, n: 3}), 400, "n"],
  ["stop of the wrong type", JSON.stringify({...valid, stop: 5}), 400, "stop"],
  ["an unknown model", JSON.stringify({...valid, model: "gpt-9"}), 404, "model", "model_not_found"],
  ["a prompt longer than the context", JSON.stringify({...valid, messages: [{role: "user", content: "word ".repeat(400)}]}), 400, "messages", "context_length_exceeded"]
];

describe("bad input on /v1/chat/completions", () => {
  it.each(cases)("%s (body %s) gets %i naming %s, and the server still serves", async (_name, body, status, param, code) => {
    const bad = await post("/v1/chat/completions", body);
    expect(bad.status).toBe(status);
    expect(bad.body.error).toMatchObject({param});
    expect(typeof bad.body.error!.message).toBe("string");
    expect(typeof bad.body.error!.type).toBe("string");
    if (code) expect(bad.body.error!.code).toBe(code);
    const good = await post("/v1/chat/completions", JSON.stringify(valid));
    expect(good.status).toBe(200);
  });

  it("refuses a non-JSON content type with 415", async () => {
    const bad = await post("/v1/chat/completions", "hello", "text/plain");
    expect(bad.status).toBe(415);
    expect(bad.body.error).toBeDefined();
  });

  it("answers unknown routes with a 404 in the same shape", async () => {
    const response = await fetch(`${server().url}/v1/nothing`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as {error: {code: string}}).error.code).toBe("not_found");
  });

  it("validates /v1/completions too", async () => {
    expect((await post("/v1/completions", JSON.stringify({prompt: ""}))).body.error!.param).toBe("prompt");
    expect((await post("/v1/completions", JSON.stringify({prompt: "x", max_tokens: 0}))).body.error!.param).toBe("max_tokens");
    expect((await post("/v1/completions", JSON.stringify({prompt: "x", max_tokens: 1}))).status).toBe(200);
  });

  it("names the field that held a prompt too long for the context, whichever the endpoint", async () => {
    const tooLong = "word ".repeat(400);
    const chat = await post("/v1/chat/completions", JSON.stringify({messages: [{role: "user", content: tooLong}]}));
    const text = await post("/v1/completions", JSON.stringify({prompt: tooLong}));
    expect(chat.body.error).toMatchObject({param: "messages", code: "context_length_exceeded", type: "invalid_request_error"});
    expect(text.status).toBe(400);
    expect(text.body.error).toMatchObject({param: "prompt", code: "context_length_exceeded", type: "invalid_request_error"});
  });

  it("leaves no request running or waiting afterwards", () => {
    expect(server().model.engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: 2});
  });
});
