/**
 * Fail closed: an OpenAI field the server does not honour is refused with a 400 naming it (over HTTP,
 * through the official SDK, and over the websocket), never a 200 that ignored it; values that ask
 * for nothing pass, fields unknown to OpenAI are ignored, and the server keeps serving.
 */
import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {type FakeApp, startFakeApp} from "./fakeApp.ts";
import {WsTestClient} from "./wsClient.ts";

let server: FakeApp;
let client: OpenAI;

beforeAll(async () => {
  server = await startFakeApp();
  client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0});
});

afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

const messages = [{role: "user", content: "hi"}];

const refusedChat: [field: string, value: unknown][] = [
  ["response_format", {type: "json_object"}],
  ["response_format", {type: "json_schema", json_schema: {name: "x", schema: {type: "object"}}}],
  ["functions", [{name: "f"}]],
  ["function_call", "auto"],
  ["audio", {voice: "alloy", format: "wav"}],
  ["modalities", ["text", "audio"]],
  ["prediction", {type: "content", content: "x"}],
  ["web_search_options", {}],
  ["reasoning_effort", "high"],
  ["verbosity", "low"],
  ["store", true],
  ["logit_bias", {"50256": -100}],
  ["service_tier", "flex"]
];

const refusedText: [field: string, value: unknown][] = [
  ["best_of", 3],
  ["suffix", "end"],
  ["logit_bias", {"1": 5}]
];

async function post(path: string, body: object) {
  const response = await fetch(`${server.url}${path}`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  return {status: response.status, body: (await response.json()) as {error?: {param: string | null; code: string | null; type: string}}};
}

describe("fields the server does not honour", () => {
  it.each(refusedChat)("refuses chat %s = %j with a 400 naming it", async (field, value) => {
    const refused = await post("/v1/chat/completions", {messages, max_tokens: 2, [field]: value});
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({param: field, code: "unsupported_parameter", type: "invalid_request_error"});
    expect((await post("/v1/chat/completions", {messages, max_tokens: 2})).status).toBe(200);
  });

  it.each(refusedText)("refuses text completion %s = %j with a 400 naming it", async (field, value) => {
    const refused = await post("/v1/completions", {prompt: "hi", max_tokens: 2, [field]: value});
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({param: field, code: "unsupported_parameter"});
  });

  it("passes values that ask for nothing, and fields OpenAI does not know", async () => {
    const harmless = {
      messages, max_tokens: 2, tools: [], tool_choice: "none", logprobs: false, top_logprobs: 0, n: 1, modalities: ["text"],
      response_format: {type: "text"}, store: false, logit_bias: {}, service_tier: "auto", metadata: {team: "a"}, some_extension: {x: 1}
    };
    expect((await post("/v1/chat/completions", harmless)).status).toBe(200);
    expect((await post("/v1/completions", {prompt: "hi", max_tokens: 2, echo: false, best_of: 1, suffix: null})).status).toBe(200);
  });

  it("raises the SDK's BadRequestError with the field as param", async () => {
    const call = client.chat.completions.create({model: "fake", messages: [{role: "user", content: "hi"}], max_tokens: 2, prediction: {type: "content", content: "x"}});
    await expect(call).rejects.toMatchObject({status: 400, param: "prediction", code: "unsupported_parameter"});
  });

  it("refuses a forced tool call where the engine cannot enforce grammars, naming tool_choice", async () => {
    const tools = [{type: "function", function: {name: "f", parameters: {type: "object"}}}];
    const refused = await post("/v1/chat/completions", {messages, max_tokens: 2, tools, tool_choice: "required"});
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({param: "tool_choice", code: "unsupported_parameter"});
    expect((await post("/v1/chat/completions", {messages, max_tokens: 2, tools})).status).toBe(200);
  });

  it("refuses log-probabilities where the decoding path cannot report them", async () => {
    const refused = await post("/v1/chat/completions", {messages, max_tokens: 2, logprobs: true});
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({param: "logprobs", code: "unsupported_parameter"});
  });

  it("refuses over the websocket with the same error, and the socket keeps serving", async () => {
    const socket = await WsTestClient.open(server.url);
    try {
      socket.send({request_id: "functions", messages, max_tokens: 2, functions: [{name: "f"}]});
      expect(await socket.terminal("functions")).toMatchObject({type: "error", status: 400, error: {param: "functions", code: "unsupported_parameter"}});
      socket.send({request_id: "fine", messages, max_tokens: 2});
      expect(await socket.terminal("fine")).toMatchObject({type: "done"});
    } finally {
      await socket.close();
    }
  });
});
