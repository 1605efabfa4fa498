/**
 * Tool calling end to end on the random-weight tiny model, whose template renders tools in the
 * `<tool_call>` syntax, so only the grammar makes its calls well-formed: the official SDK's
 * runTools() completes a two-step loop (a forced call, then an answer without tools) with zod tools,
 * streamed and not; stream().finalChatCompletion() accepts the streamed deltas, whose arguments are
 * those of the non-streamed reply for the same seed, over SSE and the websocket alike; over many seeds
 * at a high temperature, "required" always calls with arguments that validate, a named choice calls
 * that function, parallel_tool_calls false makes one call and "none" none; n-gram speculation leaves
 * the calls unchanged; requests that contradict themselves are 400s naming the field.
 */
import OpenAI from "openai";
import {zodFunction} from "openai/helpers/zod";
import type {ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam} from "openai/resources/chat/completions";
import type {Token} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {z} from "zod";
import {compileValidator} from "../engine/structured/schemaValidator.ts";
import {WsTestClient} from "../server/wsClient.ts";
import {startSyntheticServer, type SyntheticServer, syntheticServerPerSuite} from "../utils/syntheticServer.ts";

const NUM_SEEDS = 50;
const TEMPERATURE = 1.2;

const weatherSchema = {
  type: "object", properties: {city: {type: "string", maxLength: 8}, unit: {type: "string", enum: ["c", "f"]}},
  required: ["city", "unit"], additionalProperties: false
};
const timeSchema = {type: "object", properties: {zone: {type: "integer", minimum: -12, maximum: 14}}, required: ["zone"], additionalProperties: false};
const TOOLS = [
  {type: "function" as const, function: {name: "get_weather", description: "The weather in a city", parameters: weatherSchema, strict: true}},
  {type: "function" as const, function: {name: "get_time", description: "The time in a zone", parameters: timeSchema, strict: true}}
];
const VALIDATORS: Readonly<Record<string, ReturnType<typeof compileValidator>>> = {get_weather: compileValidator(weatherSchema), get_time: compileValidator(timeSchema)};
const USER: ChatCompletionMessageParam[] = [{role: "user", content: "What is the weather in Paris, and what time is it there?"}];

const suite = syntheticServerPerSuite({parallel: 4, ctxSize: 1024});

/** Runs every seed to its end before judging, so one failure leaves no request behind in the queue. */
async function everySeed<T>(run: (seed: number) => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(Array.from({length: NUM_SEEDS}, (_, seed) => run(seed)));
  const failure = settled.find((result) => result.status === "rejected");
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

function request(seed: number, fields: Partial<ChatCompletionCreateParamsNonStreaming> = {}): ChatCompletionCreateParamsNonStreaming {
  return {model: "tiny", messages: USER, tools: TOOLS, tool_choice: "required", temperature: TEMPERATURE, seed, max_tokens: 120, ...fields};
}

/** The calls of a reply: every complete one validates; one cut at max_tokens may be left unfinished. */
function validCalls(completion: ChatCompletion): {name: string; arguments: unknown}[] {
  const [choice] = completion.choices;
  const calls = choice!.message.tool_calls ?? [];
  const complete = choice!.finish_reason === "length" ? calls.slice(0, -1) : calls;
  return complete.map((call) => {
    if (call.type !== "function") throw new Error(`unexpected call type ${call.type}`);
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    const parsed: unknown = JSON.parse(call.function.arguments);
    const validate = VALIDATORS[call.function.name]!;
    expect(validate(parsed), `${call.function.name} ${call.function.arguments}`).toBe(true);
    return {name: call.function.name, arguments: parsed};
  });
}

describe("the openai SDK's tool helpers", () => {
  const weatherTool = (calls: unknown[]) => zodFunction({
    name: "get_weather",
    parameters: z.object({city: z.string().max(8), unit: z.enum(["c", "f"])}),
    function: (args) => {
      calls.push(args);
      return {temperature: 21, unit: args.unit};
    }
  });

  it.each([false, true])("runTools() completes a forced call, then an answer without tools (streamed: %s)", async (isStreamed) => {
    const calls: unknown[] = [];
    const tools = [weatherTool(calls)];
    const fields = {model: "tiny", temperature: TEMPERATURE, seed: 3, max_tokens: 60};
    // One call per step: the SDK refuses a reply cut at max_tokens, and a random model would go on calling.
    const forced = {...fields, messages: USER, tools, tool_choice: "required", parallel_tool_calls: false} as const;
    const first = isStreamed
      ? suite.client.chat.completions.runTools({...forced, stream: true}, {maxChatCompletions: 1})
      : suite.client.chat.completions.runTools(forced, {maxChatCompletions: 1});
    await first.done();
    expect(calls).toHaveLength(1);
    expect(first.messages.map((message) => message.role)).toEqual(["user", "assistant", "tool"]);
    const [, assistant, tool] = first.messages as [unknown, {tool_calls: {id: string}[]; content: string | null}, {tool_call_id: string; content: string}];
    expect(assistant.content).toBeNull();
    expect(tool.tool_call_id).toBe(assistant.tool_calls[0]!.id);
    expect(JSON.parse(tool.content)).toMatchObject({temperature: 21});

    // A random model rarely ends on its own: a stop string ends the answer as a real one would.
    const second = suite.client.chat.completions.runTools({...fields, messages: first.messages, tools, tool_choice: "none", stop: [" "]});
    const answer = await second.finalChatCompletion();
    expect(answer.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(typeof answer.choices[0]!.message.content).toBe("string");
    expect(calls).toHaveLength(1);
  }, 60_000);

  it("stream().finalChatCompletion() accepts the streamed calls, which equal the non-streamed ones for the same seed", async () => {
    for (const seed of [1, 2, 3]) {
      const whole = await suite.client.chat.completions.create(request(seed));
      const stream = suite.client.chat.completions.stream({...request(seed), stream: true});
      const streamed = await stream.finalChatCompletion();
      const strip = (completion: ChatCompletion) => completion.choices[0]!.message.tool_calls!.map((call) => call.type === "function" && {name: call.function.name, arguments: call.function.arguments});
      expect(strip(streamed)).toEqual(strip(whole));
      expect(streamed.choices[0]!.finish_reason).toBe(whole.choices[0]!.finish_reason);
      expect(validCalls(whole).length).toBeGreaterThan(0);
    }
  });

  it("streams the same calls over the websocket: the first delta of a call carries its id, type and name", async () => {
    const whole = await suite.client.chat.completions.create(request(7));
    const socket = await WsTestClient.open(suite.server.url);
    try {
      socket.send({request_id: "tools", ...request(7)});
      await socket.terminal("tools");
      const deltas = socket.chunksOf("tools").flatMap((chunk) => (chunk.choices?.[0]?.delta as {tool_calls?: Record<string, unknown>[]} | undefined)?.tool_calls ?? []);
      const starts = deltas.filter((delta) => delta.id !== undefined);
      expect(starts.length).toBe(whole.choices[0]!.message.tool_calls!.length);
      for (const start of starts) expect(start).toMatchObject({type: "function", function: {name: expect.any(String), arguments: ""}});
      const joined = starts.map((start) => deltas.filter((delta) => delta.index === start.index).map((delta) => (delta.function as {arguments: string}).arguments).join(""));
      expect(joined).toEqual(whole.choices[0]!.message.tool_calls!.map((call) => call.type === "function" && call.function.arguments));
    } finally {
      await socket.close();
    }
  });
});

describe(`tool_choice over ${NUM_SEEDS} seeds at temperature ${TEMPERATURE}`, () => {
  it("required: at least one call, every complete call valid for its tool", async () => {
    const replies = await everySeed((seed) => suite.client.chat.completions.create(request(seed)));
    for (const reply of replies) {
      expect(validCalls(reply).length).toBeGreaterThan(0);
      expect(["tool_calls", "length"]).toContain(reply.choices[0]!.finish_reason);
      expect(reply.choices[0]!.message.content).toBeNull();
    }
    expect(replies.filter((reply) => reply.choices[0]!.finish_reason === "tool_calls").length).toBeGreaterThan(NUM_SEEDS / 2);
  }, 300_000);

  it("a named function: exactly that function, once", async () => {
    const replies = await everySeed((seed) => suite.client.chat.completions.create(request(seed, {tool_choice: {type: "function", function: {name: "get_time"}}})));
    for (const reply of replies) {
      expect(reply.choices[0]!.finish_reason).toBe("tool_calls");
      expect(validCalls(reply).map((call) => call.name)).toEqual(["get_time"]);
    }
  }, 300_000);

  it("parallel_tool_calls false: exactly one call", async () => {
    const replies = await everySeed((seed) => suite.client.chat.completions.create(request(seed, {parallel_tool_calls: false})));
    for (const reply of replies) {
      expect(reply.choices[0]!.finish_reason).toBe("tool_calls");
      expect(validCalls(reply)).toHaveLength(1);
    }
  }, 300_000);

  it("none: no call, plain text", async () => {
    const replies = await everySeed((seed) => suite.client.chat.completions.create(request(seed, {tool_choice: "none", max_tokens: 24})));
    for (const reply of replies) {
      expect(reply.choices[0]!.message.tool_calls ?? []).toEqual([]);
      expect(reply.choices[0]!.finish_reason).not.toBe("tool_calls");
      expect(typeof reply.choices[0]!.message.content).toBe("string");
    }
  }, 300_000);
});

describe("with speculative decoding", () => {
  // Fresh servers given the same requests in the same order: a prefix computed in another batch could
  // differ in its last bits and flip a sampled token, with or without drafts.
  let plain: SyntheticServer;
  let speculative: SyntheticServer;
  beforeAll(async () => {
    plain = await startSyntheticServer({parallel: 4, ctxSize: 1024});
    // A fixed draft length, so drafts are proposed (and cut by the grammar) on every step.
    speculative = await startSyntheticServer({parallel: 4, ctxSize: 1024, speculation: {mode: "ngram", draftModel: undefined, maxDraftTokens: 6, minDraftTokens: 0, minDraftProbability: 0, isAdaptive: false}});
  }, 120_000);
  afterAll(async () => {
    await plain?.[Symbol.asyncDispose]();
    await speculative?.[Symbol.asyncDispose]();
  });

  it("makes the same calls, greedy and seeded, with n-gram drafts", async () => {
    const plainClient = new OpenAI({baseURL: `${plain.url}/v1`, apiKey: "unused", maxRetries: 0});
    const other = new OpenAI({baseURL: `${speculative.url}/v1`, apiKey: "unused", maxRetries: 0});
    const calls = (reply: ChatCompletion) => reply.choices[0]!.message.tool_calls!.map((call) => call.type === "function" && [call.function.name, call.function.arguments]);
    let numDraftTokens = 0;
    for (const fields of [{temperature: 0, tool_choice: "required"}, {seed: 11}, {seed: 12, tool_choice: {type: "function", function: {name: "get_weather"}}}] as const) {
      const [undrafted, drafted] = await Promise.all([plainClient.chat.completions.create(request(0, fields)), other.chat.completions.create(request(0, fields))]);
      expect(calls(drafted)).toEqual(calls(undrafted));
      numDraftTokens += (drafted as unknown as {timings: {draft_tokens?: number}}).timings.draft_tokens ?? 0;
    }
    expect(numDraftTokens).toBeGreaterThan(0);
  });
});

describe("a conversation with tool calls and results", () => {
  it("renders the calls and results through the template, and the request's prompt is that rendering", async () => {
    const args = '{"city":"Paris","unit":"c"}';
    const history: ChatCompletionMessageParam[] = [
      ...USER,
      {role: "assistant", content: null, tool_calls: [{id: "call_1", type: "function", function: {name: "get_weather", arguments: args}}]},
      {role: "tool", tool_call_id: "call_1", content: "sunny, 21 degrees"}
    ];
    const tokens = suite.server.model.renderChat([
      {role: "user", content: USER[0]!.content as string},
      {role: "assistant", content: null, toolCalls: [{id: "call_1", name: "get_weather", arguments: args}]},
      {role: "tool", content: "sunny, 21 degrees", toolCallId: "call_1"}
    ], TOOLS.map(({function: fn}) => ({name: fn.name, description: fn.description, parameters: fn.parameters, isStrict: true})));
    const prompt = suite.server.model.runtime.model.detokenize(tokens as Token[], true);
    expect(prompt).toContain('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}\n</tool_call>');
    expect(prompt).toContain("<|im_start|>user\n<tool_response>\nsunny, 21 degrees\n</tool_response><|im_end|>");
    expect(prompt).toContain('{"type": "function", "function": {"name": "get_time"');
    const reply = await suite.client.chat.completions.create({model: "tiny", messages: history, tools: TOOLS, max_tokens: 8, seed: 1});
    expect(reply.usage!.prompt_tokens).toBe(tokens.length);
  });
});

describe("requests that contradict themselves", () => {
  async function post(body: object) {
    const response = await fetch(`${suite.server.url}/v1/chat/completions`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({model: "tiny", max_tokens: 2, ...body})});
    return {status: response.status, body: (await response.json()) as {error?: {param: string | null; type: string}}};
  }

  it.each([
    ["a named tool not in tools", {messages: USER, tools: TOOLS, tool_choice: {type: "function", function: {name: "nope"}}}, "tool_choice"],
    ["tool_choice without tools", {messages: USER, tool_choice: "required"}, "tool_choice"],
    ["a custom tool", {messages: USER, tools: [{type: "custom", custom: {name: "x"}}]}, "tools[0].type"],
    ["allowed_tools", {messages: USER, tools: TOOLS, tool_choice: {type: "allowed_tools", allowed_tools: {mode: "auto", tools: []}}}, "tool_choice"],
    ["a tool message without tool_call_id", {messages: [...USER, {role: "tool", content: "x"}], tools: TOOLS}, "messages[1].tool_call_id"],
    ["tool_calls on a user message", {messages: [{role: "user", content: "x", tool_calls: [{id: "a", type: "function", function: {name: "f", arguments: "{}"}}]}]}, "messages[0].tool_calls"],
    ["an invalid function name", {messages: USER, tools: [{type: "function", function: {name: "bad name"}}]}, "tools[0].function.name"],
    ["response_format beside tools", {messages: USER, tools: TOOLS, response_format: {type: "json_object"}}, "response_format"],
    ["a parameters schema the grammar cannot enforce", {messages: USER, tool_choice: "required",
      tools: [{type: "function", function: {name: "f", strict: true, parameters: {type: "object", properties: {a: {type: "string", format: "hostname"}}, required: ["a"]}}}]}, "tools"]
  ])("%s is a 400 naming the field", async (_, body, param) => {
    const refused = await post(body);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({type: "invalid_request_error", param});
    expect((await post({messages: USER})).status).toBe(200);
  });
});
