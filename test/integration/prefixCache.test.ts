/**
 * Prefix caching on the real (tiny synthetic) model: a returning conversation prefills only what is
 * new, and with more conversations than sequences the host-memory tier restores their prefixes,
 * with greedy outputs identical to a server that caches nothing.
 */
import {afterAll, describe, expect, it} from "vitest";
import {startSyntheticServer, type SyntheticServer} from "../utils/syntheticServer.ts";

interface Message {
  readonly role: "system" | "user" | "assistant";
  readonly content: string;
}

interface Completion {
  readonly id: string;
  readonly choices: {message: {content: string}}[];
  readonly usage: {prompt_tokens: number; completion_tokens: number; prompt_tokens_details: {cached_tokens: number}};
}

const servers: SyntheticServer[] = [];
afterAll(async () => {
  for (const server of servers) await server[Symbol.asyncDispose]();
});

async function chat(server: SyntheticServer, messages: readonly Message[], maxTokens = 8): Promise<Completion> {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({messages, max_tokens: maxTokens, temperature: 0, ignore_eos: true})
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Completion;
}

/** Tokens the engine fed for a request, from its step records (not from timings). */
function tokensFed(server: SyntheticServer, requestId: string): number {
  return server.steps.flatMap((step) => step.entries).filter((entry) => entry.requestId === requestId).reduce((sum, entry) => sum + entry.numTokens, 0);
}

const words = (seed: number, count: number): string =>
  Array.from({length: count}, (_, i) => ["river", "stone", "maple", "orbit", "lantern", "cedar", "harbor", "quartz"][(seed * 7 + i * 3) % 8]).join(" ");

describe("prefix cache", () => {
  it("prefills only the new turn of a returning 4-turn conversation with a 1,000-token history", async () => {
    const server = await startSyntheticServer({parallel: 2, ctxSize: 2048});
    servers.push(server);
    const history: Message[] = [{role: "system", content: words(1, 1000)}];
    let previousPromptTokens = 0;
    for (let turn = 0; turn < 4; turn++) {
      history.push({role: "user", content: words(turn + 2, 20)});
      const reply = await chat(server, history);
      const {prompt_tokens: promptTokens, prompt_tokens_details: {cached_tokens: cachedTokens}} = reply.usage;
      if (turn === 0) {
        expect(promptTokens).toBeGreaterThan(1000);
        expect(cachedTokens).toBe(0);
      } else {
        // Everything up to the previous reply was resident; what is fed is the reply's re-rendered
        // tokens, the new user turn and the template's few tokens around them.
        expect(cachedTokens).toBeGreaterThanOrEqual(previousPromptTokens);
        expect(tokensFed(server, reply.id)).toBe(promptTokens - cachedTokens + reply.usage.completion_tokens - 1);
        expect(promptTokens - cachedTokens).toBeLessThanOrEqual(20 + 8 + 12);
      }
      previousPromptTokens = promptTokens;
      history.push({role: "assistant", content: reply.choices[0]!.message.content});
    }
  });

  it("restores returning conversations from the host tier, with outputs identical to keeping them resident", async () => {
    // Greedy outputs of random-weight models sit near ties, so the reference must compute the same
    // way: every conversation kept resident (10 sequences) prefills the same suffix on the same KV
    // that the host tier saves and restores bit for bit. A server caching nothing prefills whole
    // prompts in other batch shapes, whose float rounding can flip a near-tie.
    const cached = await startSyntheticServer({parallel: 2, ctxSize: 1024, hostPrefixCacheBytes: 64 * 1024 * 1024});
    const cold = await startSyntheticServer({parallel: 10, ctxSize: 1024});
    servers.push(cached, cold);
    const conversations = Array.from({length: 10}, (_, index): Message[] => [{role: "system", content: `Conversation ${index}. ${words(index, 120)}`}]);
    const outputs = {cached: [] as string[], cold: [] as string[]};
    for (let turn = 0; turn < 2; turn++) {
      for (const [index, history] of conversations.entries()) {
        history.push({role: "user", content: words(index + turn, 10)});
        const [warm, reference] = [await chat(cached, history), await chat(cold, history)];
        outputs.cached.push(warm.choices[0]!.message.content);
        outputs.cold.push(reference.choices[0]!.message.content);
        if (turn === 1) {
          expect(warm.usage.prompt_tokens_details.cached_tokens).toBe(reference.usage.prompt_tokens_details.cached_tokens);
          expect(warm.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(120);
        }
        history.push({role: "assistant", content: reference.choices[0]!.message.content});
      }
    }
    expect(outputs.cached).toEqual(outputs.cold);
    const stats = cached.model.engine.stats;
    // 10 conversations, 2 sequences: most returning turns found their prefix only in the host tier.
    expect(stats.numHostPrefixHitTokensTotal).toBeGreaterThan(8 * 120);
    expect(cached.model.runtime.executor.hostPrefixStore!.stats.numRestoresTotal).toBeGreaterThanOrEqual(8);
  });
});
