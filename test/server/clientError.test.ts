/**
 * Requests Node's HTTP parser refuses (a broken request line, a bad Content-Length, headers too large,
 * a body that never completes within the request timeout) are answered by `handleClientError` in
 * OpenAI's error shape, on a fastify instance configured with it as its `clientErrorHandler`.
 */
import {createServer} from "node:http";
import Fastify, {type FastifyInstance} from "fastify";
import {afterAll, beforeAll, expect, it} from "vitest";
import {handleClientError} from "../../server/errors.ts";
import {encodeRequest, sendRaw} from "../utils/rawHttp.ts";

let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  app = Fastify({
    clientErrorHandler: handleClientError,
    // Node checks request timeouts every 30 s by default; a short interval keeps the 408 case quick.
    serverFactory: (handler) => createServer({requestTimeout: 300, connectionsCheckingInterval: 50}, handler)
  });
  app.post("/echo", async (request) => request.body);
  await app.listen({host: "127.0.0.1", port: 0});
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  url = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app?.close();
});

const valid = encodeRequest({path: "/echo", headers: {"content-type": "application/json"}, body: "{}"}, "x").toString("latin1");

it.each([
  ["a broken request line", "GARBAGE\r\n\r\n", 400, "malformed_request"],
  ["a negative Content-Length", valid.replace(/content-length: \d+/, "content-length: -5"), 400, "malformed_request"],
  ["headers over Node's limit", valid.replace("content-type: application/json", `x-huge: ${"a".repeat(64 * 1024)}`), 431, "headers_too_large"],
  ["a body shorter than its Content-Length, never completed", valid.replace(/content-length: \d+/, "content-length: 50"), 408, "request_timeout"]
])("answers %s in OpenAI's error shape", async (_name, text, status, code) => {
  const response = await sendRaw(url, Buffer.from(text, "latin1"), {timeoutMs: 5_000});
  expect(response.isTimedOut).toBe(false);
  expect(response.status).toBe(status);
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  expect(JSON.parse(response.body)).toEqual({error: {message: expect.any(String), type: "invalid_request_error", param: null, code}});
});

it("still serves afterwards", async () => {
  const response = await fetch(`${url}/echo`, {method: "POST", headers: {"content-type": "application/json"}, body: "{\"a\":1}"});
  expect(await response.json()).toEqual({a: 1});
});
