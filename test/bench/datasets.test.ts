/**
 * Datasets and request bodies: seeded determinism, exact prompt lengths, spreads, the multi-turn
 * structure, JSONL validation, and what goes on the wire (ignore_eos, stream options, endpoints).
 */
import {mkdtemp, rm, writeFile} from "node:fs/promises";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {get_encoding} from "tiktoken";
import {describe, expect, it} from "vitest";
import {resolveConfig} from "../../bench/config.ts";
import {buildDataset} from "../../bench/datasets/buildDataset.ts";
import {JsonlDatasetError, loadJsonlRequests, parseJsonlRequests} from "../../bench/datasets/jsonlDataset.ts";
import {WORDS} from "../../bench/datasets/words.ts";
import {TOKENIZER_ENCODINGS} from "../../bench/config.ts";
import {getTokenCounter} from "../../bench/tokenCounter.ts";
import {buildRequestBody} from "../../bench/transport/requestBody.ts";
import {websocketUrl} from "../../bench/transport/wsTransport.ts";
import type {DatasetConfig} from "../../bench/types.ts";

const counter = getTokenCounter("cl100k_base");
const dataset = (overrides: Partial<DatasetConfig>): DatasetConfig => resolveConfig({target: {url: "http://x", model: "m"}, dataset: overrides}).dataset;

describe("filler words", () => {
  it("are one token each, with their leading space, in every offered encoding", () => {
    for (const name of TOKENIZER_ENCODINGS) {
      const encoding = get_encoding(name);
      for (const word of WORDS) expect(encoding.encode(` ${word}`).length, `${name} "${word}"`).toBe(1);
      encoding.free();
    }
  });
});

describe("random dataset", () => {
  it("is the same for the same seed, different for another, and a prefix of a longer run", () => {
    const config = dataset({inputLen: 20, outputLen: 7});
    expect(buildDataset(config, 5, 1, counter)).toEqual(buildDataset(config, 5, 1, counter));
    expect(buildDataset(config, 5, 1, counter)).not.toEqual(buildDataset(config, 5, 2, counter));
    expect(buildDataset(config, 8, 1, counter).slice(0, 5)).toEqual(buildDataset(config, 5, 1, counter));
  });

  it("has prompts of exactly inputLen tokens and max_tokens of outputLen, or within the spread", () => {
    for (const spec of buildDataset(dataset({inputLen: 64, outputLen: 16}), 20, 3, counter)) {
      expect(spec.estimatedPromptTokens).toBe(64);
      expect(spec.maxTokens).toBe(16);
    }
    const spread = buildDataset(dataset({inputLen: 100, outputLen: 50, lenSpread: 0.2}), 200, 3, counter);
    const inputs = spread.map((spec) => spec.estimatedPromptTokens);
    const outputs = spread.map((spec) => spec.maxTokens);
    expect(Math.min(...inputs)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...inputs)).toBeLessThanOrEqual(120);
    expect(Math.min(...outputs)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...outputs)).toBeLessThanOrEqual(60);
    expect(new Set(inputs).size).toBeGreaterThan(20);
  });
});

describe("multi-turn chat dataset", () => {
  it("shares one system prompt and grows each conversation's history turn by turn", () => {
    const specs = buildDataset(dataset({kind: "chat", turns: 3, systemLen: 30, inputLen: 10, outputLen: 5}), 7, 4, counter);
    expect(specs.map((spec) => spec.id)).toEqual(["c0t0", "c0t1", "c0t2", "c1t0", "c1t1", "c1t2", "c2t0"]);
    const systems = new Set(specs.map((spec) => spec.messages[0]?.content));
    expect(systems.size).toBe(1);
    expect(specs[0]?.messages[0]?.role).toBe("system");
    expect(counter.count(specs[0]?.messages[0]?.content ?? "")).toBe(30);
    const [t0, t1, t2] = specs;
    expect(t1?.dependsOn).toBe("c0t0");
    expect(t2?.dependsOn).toBe("c0t1");
    expect(t0?.dependsOn).toBeUndefined();
    // Each turn repeats the previous one's prompt, then an assistant reply and a new user turn.
    expect(t1?.messages.slice(0, 2)).toEqual(t0?.messages);
    expect(t1?.messages.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(counter.count(t1?.messages[2]?.content ?? "")).toBe(t0?.maxTokens);
    expect(t2?.messages.slice(0, 4)).toEqual(t1?.messages);
    expect(specs[3]?.messages[1]).not.toEqual(t0?.messages[1]);
  });
});

describe("JSONL dataset", () => {
  it("reads chat requests, keeps extra fields, cycles through the lines", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bench-jsonl-"));
    const file = join(dir, "requests.jsonl");
    await writeFile(
      file,
      [
        JSON.stringify({messages: [{role: "user", content: "hello there"}], max_tokens: 12, top_p: 0.5, model: "ignored", stream: false}),
        "",
        JSON.stringify({messages: [{role: "system", content: "be brief"}, {role: "user", content: [{type: "text", text: "hi"}]}]})
      ].join("\n")
    );
    try {
      const lines = loadJsonlRequests(file);
      expect(lines).toEqual([
        {messages: [{role: "user", content: "hello there"}], maxTokens: 12, extraBody: {top_p: 0.5}},
        {messages: [{role: "system", content: "be brief"}, {role: "user", content: "hi"}], extraBody: {}}
      ]);
      const specs = buildDataset(dataset({kind: "jsonl", file, outputLen: 33}), 3, 0, counter, lines);
      expect(specs.map((spec) => [spec.id, spec.maxTokens, spec.estimatedPromptTokens])).toEqual([
        ["j0", 12, 2],
        ["j1", 33, 3],
        ["j2", 12, 2]
      ]);
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  });

  it("names the line of the first invalid request", () => {
    expect(() => parseJsonlRequests('{"messages":[{"role":"user","content":"a"}]}\n{oops')).toThrow(/line 2: not JSON/);
    expect(() => parseJsonlRequests('{"messages":[]}')).toThrow(JsonlDatasetError);
    expect(() => parseJsonlRequests('{"messages":[{"role":"robot","content":"a"}]}')).toThrow(/line 1: messages/);
    expect(() => parseJsonlRequests("\n\n")).toThrow(/no request/);
  });
});

describe("request bodies", () => {
  const spec = {id: "r1", messages: [{role: "system", content: "s"}, {role: "user", content: "u"}], maxTokens: 9, estimatedPromptTokens: 2, seed: 77, extraBody: {top_p: 0.9, max_tokens: 1}} as const;
  const context = (isIgnoreEos: boolean, endpoint: "chat" | "completions") => ({
    target: {url: "http://h", model: "m"},
    config: {endpoint, isIgnoreEos, temperature: 0.5, timeoutMs: 1},
    counter
  });

  it("asks for a fixed length with max_tokens and ignore_eos, and for usage when streaming", () => {
    expect(buildRequestBody(spec, context(true, "chat"), true)).toEqual({
      top_p: 0.9,
      model: "m",
      messages: spec.messages,
      max_tokens: 9,
      temperature: 0.5,
      seed: 77,
      ignore_eos: true,
      stream: true,
      stream_options: {include_usage: true}
    });
  });

  it("leaves ignore_eos out on request, and sends a prompt to the completions endpoint", () => {
    const body = buildRequestBody(spec, context(false, "completions"), false);
    expect(body).not.toHaveProperty("ignore_eos");
    expect(body).not.toHaveProperty("stream_options");
    expect(body["prompt"]).toBe("s\n\nu");
    expect(body["stream"]).toBe(false);
  });

  it("derives the websocket URL from the HTTP one", () => {
    expect(websocketUrl("http://127.0.0.1:8080")).toBe("ws://127.0.0.1:8080/v1/chat/completions/ws");
    expect(websocketUrl("https://host/base")).toBe("wss://host/base/v1/chat/completions/ws");
  });
});
