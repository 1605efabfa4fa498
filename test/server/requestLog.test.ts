/**
 * One structured log line per finished request, through fastify's logger: ids, session, variant, status,
 * finish reason, token counts and timings; prompts and outputs only with `--log-prompts`. Clients
 * that leave get their line once the engine has ended their request (status 499, reason abort).
 */
import {afterEach, describe, expect, it} from "vitest";
import {eventually} from "../utils/eventually.ts";
import {readSse} from "../utils/sse.ts";
import {complete} from "./completionClient.ts";
import {type FakeApp, startFakeApp} from "./fakeApp.ts";

interface LogLine {
  readonly msg: string;
  readonly level: number;
  readonly reqId?: string;
  readonly [key: string]: unknown;
}

const SECRET = "my secret question";
let server: FakeApp | undefined;

async function startLogged(options: {isPromptLogged?: boolean; numSequences?: number; maxQueueLength?: number} = {}) {
  const lines: LogLine[] = [];
  server = await startFakeApp({
    numSequences: options.numSequences ?? 2,
    maxQueueLength: options.maxQueueLength,
    stepDelayMs: 2,
    sequenceCapacity: 4096,
    app: {isPromptLogged: options.isPromptLogged, logger: {level: "info", stream: {write: (line: string) => { lines.push(JSON.parse(line)); }}}}
  });
  const finished = (): LogLine[] => lines.filter((line) => line.msg === "request finished");
  /** The "request finished" lines once there are at least `count` (a line is written after the response ends). */
  const finishedLines = async (count: number): Promise<LogLine[]> => {
    await eventually(`${count} "request finished" line(s)`, () => finished().length >= count);
    return finished();
  };
  return {url: server.url, lines, finishedLines};
}

afterEach(async () => {
  await server?.[Symbol.asyncDispose]();
  server = undefined;
});

describe("request log", () => {
  it("writes one line per finished request, without prompts or outputs by default", async () => {
    const {url, lines, finishedLines} = await startLogged();
    const json = await complete(url, "/v1/chat/completions", {messages: [{role: "user", content: SECRET}], max_tokens: 4}, {headers: {"x-request-id": "abc-1"}});
    const streamed = await complete(url, "/v1/chat/completions", {messages: [{role: "user", content: SECRET}], max_tokens: 3, stream: true});
    await fetch(`${url}/health`);
    await fetch(`${url}/metrics`);
    const written = await finishedLines(2);
    expect(written).toHaveLength(2);
    const [first, second] = written;
    expect(first).toMatchObject({level: 30, reqId: "abc-1", completionId: json.id, model: "fake", variant: "default", status: 200, finishReason: "length"});
    expect(first!.timings).toEqual(json.timings);
    expect(second).toMatchObject({completionId: streamed.id, status: 200, finishReason: "length", timings: {generated_tokens: 3}});
    for (const line of written) expect(Object.keys(line)).not.toEqual(expect.arrayContaining(["prompt"]));
    for (const line of written) expect(Object.keys(line)).not.toEqual(expect.arrayContaining(["output"]));
    expect(JSON.stringify(lines)).not.toContain("secret");
    // Health checks and scrapes that succeed are not logged.
    expect(lines.filter((line) => line.reqId !== undefined && line.msg !== "request finished")).toEqual([]);
  });

  it("names the session key (x-session-id, else user), the same one the load balancer and canary routing use", async () => {
    const {url, finishedLines} = await startLogged();
    const messages = [{role: "user", content: "hi"}];
    await complete(url, "/v1/chat/completions", {messages, max_tokens: 2, user: "alice"}, {headers: {"x-session-id": "conv-42"}});
    await complete(url, "/v1/chat/completions", {messages, max_tokens: 2, user: "alice"});
    await complete(url, "/v1/chat/completions", {messages, max_tokens: 2});
    const written = await finishedLines(3);
    expect(written.map((line) => line.session)).toEqual(["conv-42", "alice", undefined]);
  });

  it("adds the prompt and the output with --log-prompts", async () => {
    const {url, finishedLines} = await startLogged({isPromptLogged: true});
    const messages = [{role: "user", content: SECRET}];
    const json = await complete(url, "/v1/chat/completions", {messages, max_tokens: 4});
    const streamed = await complete(url, "/v1/completions", {prompt: SECRET, max_tokens: 5, stream: true});
    const written = await finishedLines(2);
    expect(written[0]).toMatchObject({prompt: messages, output: json.text});
    expect(written[1]).toMatchObject({prompt: SECRET, output: streamed.text});
    expect(streamed.text).toHaveLength(5);
  });

  it("logs a client that left as 499 with the abort, once the engine ended it", async () => {
    const {url, finishedLines} = await startLogged();
    const controller = new AbortController();
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      signal: controller.signal,
      headers: {"content-type": "application/json"},
      body: JSON.stringify({messages: [{role: "user", content: "long"}], max_tokens: 3000, stream: true})
    });
    const events = readSse(response);
    for (let i = 0; i < 3; i++) await events.next();
    controller.abort();
    await events.return(undefined).catch(() => {});
    const [line] = await finishedLines(1);
    expect(line).toMatchObject({status: 499, finishReason: "abort"});
    expect((line!.timings as {generated_tokens: number}).generated_tokens).toBeGreaterThanOrEqual(2);
  });

  it("logs refused requests with their status", async () => {
    const {url, lines} = await startLogged({numSequences: 1, maxQueueLength: 1});
    const admitted = [0, 1].map(() => complete(url, "/v1/chat/completions", {messages: [{role: "user", content: "x"}], max_tokens: 300}));
    await eventually("the second request waits for the only sequence", () => server!.model.engine.stats.numWaiting === 1);
    const refused = await complete(url, "/v1/chat/completions", {messages: [{role: "user", content: "x"}], max_tokens: 3});
    const invalid = await fetch(`${url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: "{}"});
    await Promise.all(admitted);
    expect([refused.status, invalid.status]).toEqual([429, 400]);
    const rejected = lines.filter((line) => line.msg === "request rejected");
    expect(rejected).toEqual([
      expect.objectContaining({model: "fake", variant: "default", status: 429}),
      expect.objectContaining({method: "POST", url: "/v1/chat/completions", status: 400})
    ]);
    expect(rejected[0]).not.toHaveProperty("finishReason");
  });
});
