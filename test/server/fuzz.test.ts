/**
 * Fuzzing the HTTP API over loopback with raw requests (seeded, so every run sends the same ones):
 * more than a thousand malformed or hostile requests (a known field of the wrong type, JSON cut short,
 * garbage bytes, wrong content types and methods, bodies shorter than their Content-Length, broken
 * request lines, deep nesting, huge strings) each get the expected 4xx in OpenAI's error shape, never
 * a 5xx; free mutations of valid bodies, which may stay valid, never get a 5xx either. The server is
 * the real app over the engine loop with a fake executor. Odd but valid text is served, unknown
 * fields are ignored, `max_tokens` is capped by the context; afterwards the server still serves a
 * valid request and holds no request and no sequence.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {MAX_PROMPT_CHARS} from "../../server/schemas/limits.ts";
import {startFakeApp} from "./fakeApp.ts";
import {type Endpoint, isParamOf, mutatedBody, VALID_CHAT, validBody, wrongField} from "./requestArbitraries.ts";
import {eventually} from "../utils/eventually.ts";
import {perSuite} from "../utils/perSuite.ts";
import {encodeRequest, type RawResponse, send, sendRaw} from "../utils/rawHttp.ts";

const SEED = 42;
const PARALLEL = 2;
const server = perSuite(() => startFakeApp({numSequences: PARALLEL, maxQueueLength: 256}));
const statuses: number[] = [];

/** The error object of an OpenAI-shaped error body; fails the test for any other body. */
function openAiError(response: RawResponse): {message: string; type: string; param: string | null; code: string | null} {
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  const {error} = JSON.parse(response.body) as {error: {message: unknown; type: unknown; param: unknown; code: unknown}};
  expect(typeof error.message).toBe("string");
  expect(typeof error.type).toBe("string");
  expect(error.param === null || typeof error.param === "string").toBe(true);
  expect(error.code === null || typeof error.code === "string").toBe(true);
  return error as ReturnType<typeof openAiError>;
}

/** Sends, records the status, and refuses a 5xx, a dropped connection or a hang outright. */
async function exchange(request: Parameters<typeof send>[1], options?: Parameters<typeof send>[2]): Promise<RawResponse> {
  const response = await send(server().url, request, options);
  expect(response.isTimedOut, "the server hung").toBe(false);
  expect(response.status, `no answer to ${String(request.body).slice(0, 80)}`).not.toBeNull();
  statuses.push(response.status!);
  expect(response.status).toBeLessThan(500);
  return response;
}

const postJson = (endpoint: Endpoint | string, body: string | Buffer, contentLength?: number) =>
  ({path: endpoint, headers: {"content-type": "application/json"}, body, contentLength});

describe("fuzzing the HTTP API", () => {
  it("refuses a known field of the wrong type or range with a 400 naming it (600 bodies)", async () => {
    await fc.assert(fc.asyncProperty(wrongField(), async ({endpoint, field, body}) => {
      const response = await exchange(postJson(endpoint, JSON.stringify(body)));
      expect(response.status).toBe(400);
      const error = openAiError(response);
      expect(isParamOf(error.param, field), `${field}: ${JSON.stringify(body[field]).slice(0, 80)} -> ${error.param}`).toBe(true);
    }), {seed: SEED, numRuns: 600});
  });

  it("refuses JSON cut short anywhere with a 400 (200 bodies)", async () => {
    const text = JSON.stringify({...VALID_CHAT, temperature: 0.5, stop: ["x", "y"], stream: true});
    await fc.assert(fc.asyncProperty(fc.nat(text.length - 1), async (cut) => {
      openAiError(expectStatus(await exchange(postJson("/v1/chat/completions", text.slice(0, cut))), 400));
    }), {seed: SEED, numRuns: 200});
  });

  it("refuses garbage bytes declared as JSON with a 400 (150 bodies)", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({minLength: 1, maxLength: 512}), fc.constantFrom<Endpoint>("/v1/chat/completions", "/v1/completions"),
      async (bytes, endpoint) => {
        openAiError(expectStatus(await exchange(postJson(endpoint, Buffer.from(bytes))), 400));
      }), {seed: SEED, numRuns: 150});
  });

  it("refuses wrong content types (415), methods (404) and bodies shorter than declared (400) (150 requests)", async () => {
    const contentTypes = ["text/plain", "text/html", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
      "application/xml", "application/octet-stream", "image/png", "application/jsonx"];
    const hostile = fc.oneof(
      fc.record({kind: fc.constant("type" as const), contentType: fc.constantFrom(...contentTypes, undefined)}),
      fc.record({kind: fc.constant("method" as const), method: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS")}),
      fc.record({kind: fc.constant("short" as const), missing: fc.integer({min: 1, max: 10_000})})
    );
    const body = JSON.stringify(VALID_CHAT);
    await fc.assert(fc.asyncProperty(hostile, fc.constantFrom<Endpoint>("/v1/chat/completions", "/v1/completions"), async (request, endpoint) => {
      if (request.kind === "type") {
        const headers: Record<string, string> = request.contentType === undefined ? {} : {"content-type": request.contentType};
        openAiError(expectStatus(await exchange({path: endpoint, headers, body}), 415));
      } else if (request.kind === "method") {
        openAiError(expectStatus(await exchange({method: request.method, path: endpoint, headers: {"content-type": "application/json"}, body}), 404));
      } else {
        // The client stops sending (half-closes) before the declared length: the request can never complete.
        const response = await exchange(postJson(endpoint, body, body.length + request.missing), {isHalfClosed: true});
        expectStatus(response, 400);
        expect(JSON.parse(response.body)).toHaveProperty("error");
      }
    }), {seed: SEED, numRuns: 150});
  });

  it("answers broken HTTP (request lines, headers, lengths) with a 4xx and survives (50 requests)", async () => {
    const valid = encodeRequest(postJson("/v1/chat/completions", JSON.stringify(VALID_CHAT)), "x").toString("latin1");
    const broken = fc.oneof(
      fc.uint8Array({minLength: 1, maxLength: 200}).map((bytes) => Buffer.concat([Buffer.from(bytes), Buffer.from("\r\n\r\n")])),
      fc.constantFrom(
        "GARBAGE\r\n\r\n",
        "POST /v1/chat/completions HTTP/9.9\r\n\r\n",
        valid.replace(/content-length: \d+/, "content-length: -5"),
        valid.replace(/content-length: \d+/, "content-length: 12abc"),
        valid.replace("content-type: application/json", `x-huge: ${"a".repeat(64 * 1024)}`),
        valid.replace("POST /v1/chat/completions", "POST /v1/chat/\u0000completions")
      ).map((text) => Buffer.from(text, "latin1"))
    );
    await fc.assert(fc.asyncProperty(broken, async (bytes) => {
      const response = await sendRaw(server().url, bytes);
      expect(response.isTimedOut).toBe(false);
      // Node's parser refuses these before fastify runs; fastify's own client-error body answers them
      // until app.ts passes `clientErrorHandler: handleClientError` (errors.ts), which answers in
      // OpenAI's shape (test/server/clientError.test.ts). Either way: a 4xx with an `error`, or nothing.
      if (response.status !== null) {
        statuses.push(response.status);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(JSON.parse(response.body)).toHaveProperty("error");
      }
    }), {seed: SEED, numRuns: 50});
  });

  it("refuses deep nesting, oversized bodies and oversized prompts with the right 4xx", async () => {
    const deep = `{"messages":${"[".repeat(100_000)}${"]".repeat(100_000)},"max_tokens":1}`;
    expect(openAiError(expectStatus(await exchange(postJson("/v1/chat/completions", deep)), 400)).param).toBe("messages[0]");
    const deepObject = `{"stream_options":${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)},"prompt":"x"}`;
    expectStatus(await exchange(postJson("/v1/completions", deepObject)), 200);
    const unclosed = "[".repeat(1_000_000);
    openAiError(expectStatus(await exchange(postJson("/v1/chat/completions", unclosed)), 400));
    const huge = JSON.stringify({...VALID_CHAT, messages: [{role: "user", content: "x".repeat(5 * 1024 * 1024)}]});
    openAiError(expectStatus(await exchange(postJson("/v1/chat/completions", huge)), 413));
    const long = JSON.stringify({...VALID_CHAT, messages: [{role: "user", content: "x".repeat(MAX_PROMPT_CHARS + 1)}]});
    expect(openAiError(expectStatus(await exchange(postJson("/v1/chat/completions", long)), 400)).param).toBe("messages[0].content");
    const proto = `{"__proto__":{"polluted":true},"prompt":"x"}`;
    openAiError(expectStatus(await exchange(postJson("/v1/completions", proto)), 400));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("never answers a free mutation of a valid body with a 5xx (300 bodies)", async () => {
    await fc.assert(fc.asyncProperty(mutatedBody(), async ({endpoint, body}) => {
      const response = await exchange(postJson(endpoint, JSON.stringify(body)));
      expect([200, 400, 404]).toContain(response.status);
      if (response.status !== 200) openAiError(response);
    }), {seed: SEED, numRuns: 300});
  });

  it("serves text with invalid UTF-8, lone surrogates and control characters, ignores fields OpenAI does not know, and refuses those it cannot honour", async () => {
    const bytes = Buffer.concat([Buffer.from(`{"prompt":"a`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`b","max_tokens":2}`)]);
    expectStatus(await exchange(postJson("/v1/completions", bytes)), 200);
    const odd = `{"messages":[{"role":"user","content":"\\ud800x\\udfff\\u0000\\u0007\\u001b[31m\\u2028"}],"max_tokens":2}`;
    expectStatus(await exchange(postJson("/v1/chat/completions", odd)), 200);
    const unknown = {...validBody("/v1/chat/completions"), tools: [], whatever: [[1]], "x-extension": {deep: [null]}};
    expectStatus(await exchange(postJson("/v1/chat/completions", JSON.stringify(unknown))), 200);
    const unhonoured = {...validBody("/v1/chat/completions"), logit_bias: {"5": 100}};
    expect(JSON.parse(expectStatus(await exchange(postJson("/v1/chat/completions", JSON.stringify(unhonoured))), 400).body)).toMatchObject({error: {param: "logit_bias"}});
  });

  it("caps max_tokens by what the context leaves after the prompt", async () => {
    const response = await exchange(postJson("/v1/chat/completions", JSON.stringify({...VALID_CHAT, max_tokens: Number.MAX_SAFE_INTEGER, ignore_eos: true})));
    const {usage, choices} = JSON.parse(expectStatus(response, 200).body) as {usage: {prompt_tokens: number; completion_tokens: number}; choices: {finish_reason: string}[]};
    expect(usage.prompt_tokens + usage.completion_tokens).toBe(server().model.contextLength);
    expect(choices[0]!.finish_reason).toBe("length");
  });

  it("got a 4xx for more than 1,000 hostile requests and no 5xx at all, and still serves", async () => {
    expect(statuses.filter((status) => status >= 400 && status < 500).length).toBeGreaterThan(1_000);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    const after = await exchange(postJson("/v1/chat/completions", JSON.stringify({...VALID_CHAT, stream: true})));
    expect(after.status).toBe(200);
    expect(after.body).toContain("data: [DONE]");
    await eventually("the engine has no running request", () => server().model.engine.stats.numRunning === 0);
    expect(server().model.engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: PARALLEL});
  });
});

function expectStatus(response: RawResponse, status: number): RawResponse {
  expect(response.status, response.body.slice(0, 200)).toBe(status);
  return response;
}
