/**
 * Log-probabilities against the tiny synthetic model, through the official SDK and raw HTTP:
 * OpenAI's chat shape (whole and streamed) and the legacy completions shape, with the invariants an
 * evaluation harness relies on (every logprob <= 0, alternatives sorted and of the requested count,
 * their probabilities summing to at most 1, the greedy token on top with its own logprob, the bytes
 * concatenating to the content), echo scoring of a prompt (max_tokens 0, the first token unscored,
 * the tokens spelling the prompt), and a continuation scored by echo equal to the logprobs reported
 * while generating it. Requests that ask for what cannot be given are 400s.
 */
import {describe, expect, it} from "vitest";
import {syntheticServerPerSuite} from "../utils/syntheticServer.ts";

const suite = syntheticServerPerSuite({parallel: 2, ctxSize: 512});

interface Choice {readonly token: string; readonly logprob: number; readonly bytes: number[] | null}
interface Entry extends Choice {readonly top_logprobs: Choice[]}

function expectWellFormed(entries: readonly Entry[], numTop: number): void {
  for (const entry of entries) {
    expect(entry.logprob).toBeLessThanOrEqual(0);
    expect(entry.top_logprobs).toHaveLength(numTop);
    const logprobs = entry.top_logprobs.map((choice) => choice.logprob);
    expect(logprobs).toEqual([...logprobs].sort((a, b) => b - a));
    expect(logprobs.reduce((sum, logprob) => sum + Math.exp(logprob), 0)).toBeLessThanOrEqual(1 + 1e-9);
  }
}

const decoder = new TextDecoder();

async function postJson(path: string, body: object): Promise<{status: number; body: Record<string, any>}> {
  const response = await fetch(`${suite.server.url}${path}`, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  return {status: response.status, body: (await response.json()) as Record<string, any>};
}

describe("chat logprobs", () => {
  it("reports each token with sorted alternatives, the greedy one on top, bytes spelling the content", async () => {
    const completion = await suite.client.chat.completions.create({
      model: "tiny", messages: [{role: "user", content: "Tell me a story."}], max_tokens: 24, temperature: 0, logprobs: true, top_logprobs: 5
    });
    const {message, logprobs} = completion.choices[0]!;
    const entries = logprobs!.content as Entry[];
    expect(entries).toHaveLength(completion.usage!.completion_tokens);
    expectWellFormed(entries, 5);
    for (const entry of entries) {
      expect(entry.top_logprobs[0]!.token).toBe(entry.token);
      expect(entry.top_logprobs[0]!.logprob).toBe(entry.logprob);
    }
    expect(decoder.decode(Uint8Array.from(entries.flatMap((entry) => entry.bytes!)))).toBe(message.content);
  });

  it("streams each chunk's own entries, adding up to the non-streamed ones", async () => {
    const params = {model: "tiny", messages: [{role: "user" as const, content: "Count with me."}], max_tokens: 16, temperature: 0, logprobs: true, top_logprobs: 2};
    const whole = await suite.client.chat.completions.create(params);
    const stream = await suite.client.chat.completions.create({...params, stream: true});
    const streamed: Entry[] = [];
    let content = "";
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      content += choice.delta.content ?? "";
      const entries = (choice.logprobs?.content ?? []) as Entry[];
      expect(decoder.decode(Uint8Array.from(entries.flatMap((entry) => entry.bytes!)))).toBe(choice.delta.content ?? "");
      streamed.push(...entries);
    }
    expect(content).toBe(whole.choices[0]!.message.content);
    expect(streamed).toEqual(whole.choices[0]!.logprobs!.content);
  });

  it("does not report tokens a stop string trimmed", async () => {
    const free = await suite.client.chat.completions.create({model: "tiny", messages: [{role: "user", content: "Go."}], max_tokens: 12, temperature: 0});
    const text = free.choices[0]!.message.content!;
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 3);
    const stopped = await suite.client.chat.completions.create({
      model: "tiny", messages: [{role: "user", content: "Go."}], max_tokens: 12, temperature: 0, stop: [stop], logprobs: true
    });
    const {message, logprobs} = stopped.choices[0]!;
    expect(stopped.choices[0]!.finish_reason).toBe("stop");
    expect(decoder.decode(Uint8Array.from((logprobs!.content as Entry[]).flatMap((entry) => entry.bytes!)))).toBe(message.content);
  });

  it("refuses top_logprobs without logprobs, and more than 20", async () => {
    expect((await postJson("/v1/chat/completions", {messages: [{role: "user", content: "x"}], top_logprobs: 2})).body.error.param).toBe("top_logprobs");
    expect((await postJson("/v1/chat/completions", {messages: [{role: "user", content: "x"}], logprobs: true, top_logprobs: 21})).status).toBe(400);
  });
});

describe("completions logprobs and echo", () => {
  it("reports the legacy shape with offsets into the text", async () => {
    const {body} = await postJson("/v1/completions", {prompt: "The quick brown fox", max_tokens: 8, temperature: 0, logprobs: 3});
    const {text, logprobs} = body.choices[0];
    expect(logprobs.tokens.join("")).toBe(text);
    expect(logprobs.text_offset).toEqual(logprobs.tokens.map((_: string, index: number) => logprobs.tokens.slice(0, index).join("").length));
    for (const [index, top] of (logprobs.top_logprobs as Record<string, number>[]).entries()) {
      expect(Object.keys(top).length).toBeLessThanOrEqual(3);
      expect(Math.max(...Object.values(top))).toBe(logprobs.token_logprobs[index]);
    }
  });

  it("scores a prompt with echo and max_tokens 0, as evaluation harnesses do", async () => {
    const prompt = "Hello there, my friend. How are you today?";
    const {body} = await postJson("/v1/completions", {prompt, echo: true, logprobs: 1, max_tokens: 0});
    const choice = body.choices[0];
    expect(choice.text).toBe(prompt);
    expect(choice.logprobs.tokens.join("")).toBe(prompt);
    expect(choice.logprobs.token_logprobs[0]).toBeNull();
    expect(choice.logprobs.top_logprobs[0]).toBeNull();
    expect(choice.logprobs.token_logprobs.slice(1).every((logprob: number) => logprob <= 0)).toBe(true);
    expect(body.usage.completion_tokens).toBe(0);
  });

  it("scores a continuation by echo as it was scored while generated", async () => {
    const context = "Once upon a time";
    const generated = (await postJson("/v1/completions", {prompt: context, max_tokens: 6, temperature: 0, logprobs: 1})).body.choices[0];
    const scored = (await postJson("/v1/completions", {prompt: context + generated.text, echo: true, logprobs: 1, max_tokens: 0})).body.choices[0];
    const start = scored.logprobs.text_offset.findIndex((offset: number) => offset >= context.length);
    expect(scored.logprobs.tokens.slice(start)).toEqual(generated.logprobs.tokens);
    const continuation: number[] = scored.logprobs.token_logprobs.slice(start);
    continuation.forEach((logprob, index) => expect(logprob).toBeCloseTo(generated.logprobs.token_logprobs[index], 3));
  });

  it("refuses max_tokens 0 without echo, and echo with logprobs while streaming", async () => {
    expect((await postJson("/v1/completions", {prompt: "x", max_tokens: 0})).body.error.param).toBe("max_tokens");
    expect((await postJson("/v1/completions", {prompt: "x", echo: true, logprobs: 1, stream: true})).body.error.param).toBe("stream");
  });
});
