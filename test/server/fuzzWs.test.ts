/**
 * Fuzzing the chat websocket (seeded): 400 malformed messages on one socket (text that is not JSON,
 * JSON that is not an object, unusable request ids, unknown message types, binary frames, request
 * bodies with a known field of the wrong type) each get exactly one error message, tagged with the
 * request id when it had a usable one, in OpenAI's error shape with status 400 and the field named;
 * the socket stays open throughout and then serves a valid request, and no request or sequence is left.
 */
import fc from "fast-check";
import {afterAll, beforeAll, expect, it} from "vitest";
import WebSocket from "ws";
import {MAX_REQUEST_ID_LENGTH} from "../../server/ws/protocol.ts";
import {type FakeApp, startFakeApp} from "./fakeApp.ts";
import {isParamOf, VALID_CHAT, wrongField} from "./requestArbitraries.ts";
import {type WsMessage, WsTestClient} from "./wsClient.ts";

const PARALLEL = 2;
let server: FakeApp;
let client: WsTestClient;

beforeAll(async () => {
  server = await startFakeApp({numSequences: PARALLEL});
  client = await WsTestClient.open(server.url);
});

afterAll(async () => {
  await client?.close();
  await server?.[Symbol.asyncDispose]();
});

const isRecord = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);
const isNotJson = (text: string) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
};
const isUsableId = (value: unknown) => typeof value === "string" && value.length > 0 && value.length <= MAX_REQUEST_ID_LENGTH;

type Case =
  | {readonly kind: "untagged"; readonly frame: string | Buffer; readonly code: string}
  | {readonly kind: "tagged"; readonly message: Record<string, unknown>; readonly param: string | null; readonly code?: string};

let sequence = 0;
const nextId = () => `fuzz-${sequence++}`;

const untagged = (frame: string | Buffer, code: string) => (): Case => ({kind: "untagged", frame, code});
const tagged = (body: Record<string, unknown>, param: string, code?: string) => (): Case =>
  ({kind: "tagged", message: {...body, request_id: nextId()}, param, code});

/** Thunks, so request ids are drawn when a case is sent, in order, whatever fast-check replays. */
const cases: fc.Arbitrary<() => Case> = fc.oneof(
  fc.string({maxLength: 200}).filter(isNotJson).map((frame) => untagged(frame, "invalid_json")),
  fc.uint8Array({minLength: 1, maxLength: 200}).filter((bytes) => isNotJson(Buffer.from(bytes).toString("utf8")))
    .map((bytes) => untagged(Buffer.from(bytes), "invalid_json")),
  fc.jsonValue({maxDepth: 3}).filter((value) => !isRecord(value)).map((value) => untagged(JSON.stringify(value), "invalid_message")),
  fc.jsonValue({maxDepth: 2}).filter((value) => !isUsableId(value))
    .map((requestId) => untagged(JSON.stringify({...VALID_CHAT, request_id: requestId}), "invalid_request_id")),
  fc.string({maxLength: 300}).map((requestId) => requestId.padEnd(MAX_REQUEST_ID_LENGTH + 1, "x"))
    .map((requestId) => untagged(JSON.stringify({request_id: requestId, ...VALID_CHAT}), "invalid_request_id")),
  fc.jsonValue({maxDepth: 1}).filter((type) => type !== null && type !== "request" && type !== "cancel")
    .map((type) => tagged({type, ...VALID_CHAT}, "type", "invalid_message_type")),
  wrongField(["/v1/chat/completions"]).map(({field, body}) => tagged(body, field))
);

function expectError(message: WsMessage, requestId: string | null): NonNullable<WsMessage["error"]> {
  expect(message).toMatchObject({request_id: requestId, type: "error", status: 400});
  const {error} = message;
  expect(error).toEqual({message: expect.any(String), type: "invalid_request_error", param: error!.param, code: expect.any(String)});
  return error!;
}

it("answers 400 malformed messages with one error each and keeps the socket usable", async () => {
  await fc.assert(fc.asyncProperty(cases, async (makeCase) => {
    const before = client.received.length;
    const testCase = makeCase();
    if (testCase.kind === "untagged") {
      client.socket.send(testCase.frame);
      const reply = await client.until(() => client.received[before]);
      expect(expectError(reply, null).code).toBe(testCase.code);
    } else {
      client.send(testCase.message);
      const requestId = testCase.message.request_id as string;
      const reply = await client.terminal(requestId);
      const error = expectError(reply, requestId);
      expect(isParamOf(error.param, testCase.param!), `${JSON.stringify(testCase.message).slice(0, 120)} -> ${error.param}`).toBe(true);
      if (testCase.code) expect(error.code).toBe(testCase.code);
      expect(client.messagesOf(requestId)).toHaveLength(1);
    }
    expect(client.received.length).toBe(before + 1);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  }), {seed: 42, numRuns: 400});

  client.send({request_id: "valid", ...VALID_CHAT, max_tokens: 3});
  expect(await client.terminal("valid")).toMatchObject({type: "done"});
  expect(client.chunksOf("valid").at(-1)?.choices?.[0]?.finish_reason).toBeDefined();
  expect(server.model.engine.stats).toMatchObject({numRunning: 0, numWaiting: 0, numFreeSequences: PARALLEL});
});
