/**
 * The multi-turn chat dataset: conversations that share one system prompt and return for several
 * turns, each turn carrying the whole history so far. It exercises prefix caching the way chat
 * users do. Assistant turns in the history are synthetic text of the previous turn's output length,
 * not the server's reply, so that two runs (and servers A and B) receive identical requests; a
 * server still finds every earlier prompt in its cache, only its own last reply differs. With
 * `isReplyReplayed` the driver puts each server's own reply there instead (`replies`), as a chat
 * client does, so a server can also find that reply's tokens in its cache.
 *
 * Order is conversation-major (c0t0, c0t1, ..., c1t0, ...) and turn k+1 `dependsOn` turn k, so the
 * driver sends a conversation's next turn as soon as its previous one completes, keeping about
 * `concurrency` conversations active. Knows nothing of sending.
 */
import {createRng, deriveSeed} from "../random.ts";
import type {TokenCounter} from "../tokenCounter.ts";
import type {ChatMessage, DatasetConfig, RequestSpec} from "../types.ts";
import {samplingSeed} from "./indexedSpecs.ts";
import {randomWords, spreadLength} from "./words.ts";

/** The first `count` turns of `ceil(count / turns)` conversations derived from `seed`. */
export function buildMultiTurnDataset(
  dataset: DatasetConfig,
  count: number,
  seed: number,
  counter: TokenCounter
): RequestSpec[] {
  const systemRng = createRng(deriveSeed(seed, "system"));
  const system: ChatMessage = {role: "system", content: randomWords(systemRng, dataset.systemLen)};
  const specs: RequestSpec[] = [];
  for (let conversation = 0; specs.length < count; conversation++) {
    const rng = createRng(deriveSeed(seed, "conversation", conversation));
    const history: ChatMessage[] = dataset.systemLen > 0 ? [system] : [];
    /** The turn whose reply each assistant message of `history` stands for, by message index. */
    const replyTurns: number[] = [];
    for (let turn = 0; turn < dataset.turns && specs.length < count; turn++) {
      history.push({role: "user", content: randomWords(rng, spreadLength(rng, dataset.inputLen, dataset.lenSpread))});
      const maxTokens = spreadLength(rng, dataset.outputLen, dataset.lenSpread);
      const messages = [...history];
      const replies = dataset.isReplyReplayed === true
        ? messages.flatMap((message, messageIndex) => message.role === "assistant" ? [{messageIndex, turnId: `c${conversation}t${replyTurns[messageIndex]}`}] : [])
        : [];
      specs.push({
        id: `c${conversation}t${turn}`,
        sessionId: `c${conversation}`,
        messages,
        maxTokens,
        estimatedPromptTokens: counter.countMessages(messages),
        seed: samplingSeed(seed, conversation, turn),
        ...(turn === 0 ? {} : {dependsOn: `c${conversation}t${turn - 1}`}),
        ...(replies.length > 0 ? {replies} : {}),
        ...(dataset.isReplyReplayed === true && turn + 1 < dataset.turns ? {isReplyKept: true} : {})
      });
      replyTurns[history.length] = turn;
      history.push({role: "assistant", content: randomWords(rng, maxTokens)});
    }
  }
  return specs;
}
