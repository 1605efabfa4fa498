/**
 * A four-turn chat for the cluster tests, with fixed assistant replies in the history (not the
 * model's own), so every run sends identical prompts turn by turn and a single server and a cluster
 * can be compared on what their prefix caches hold. Sends each turn as the next one's history grows,
 * and reports per turn which replica answered (`x-served-by`, set by HAProxy) and how many prompt
 * tokens were cached.
 */
export interface TurnResult {
  readonly status: number;
  /** The replica HAProxy sent the turn to; null when the server was reached directly. */
  readonly servedBy: string | null;
  readonly promptTokens: number;
  readonly cachedTokens: number;
}

export interface ConversationKey {
  /** Sent as the x-session-id header. */
  readonly header?: string;
  /** Sent as the body's user field. */
  readonly user?: string;
}

const SYSTEM = "You are a careful assistant for a small bakery. Answer questions about opening hours, bread, pastries, " +
  "allergens and custom cakes. Keep answers short, friendly and factual, and say so when you do not know something. " +
  "The bakery opens at seven in the morning and closes at six in the evening, every day but Monday.";

const TURNS = [
  ["Do you have rye bread today?", "Yes, we bake rye bread every morning except Monday."],
  ["Is it made without wheat flour?", "Our rye bread contains some wheat flour, so it is not wheat free."],
  ["Could I order a birthday cake for Saturday?", "Certainly, custom cakes need two days notice and a small deposit."],
  ["What flavours can the cake have?", "Chocolate, vanilla, lemon and carrot are the usual choices."]
] as const;

export const NUM_TURNS = TURNS.length;

/** The messages of turn `index` (0-based): the system prompt, then every earlier turn with its fixed reply, then the question. */
export function messagesOfTurn(index: number, topic = ""): {role: string; content: string}[] {
  const messages = [{role: "system", content: `${topic}${SYSTEM}`}];
  for (const [turn, [question, reply]] of TURNS.entries()) {
    messages.push({role: "user", content: question});
    if (turn === index) break;
    messages.push({role: "assistant", content: reply});
  }
  return messages;
}

/** Sends one turn, non-streamed, greedy, and reads what the test compares. */
export async function sendTurn(baseUrl: string, index: number, key: ConversationKey = {}, topic = ""): Promise<TurnResult> {
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: {"content-type": "application/json", ...(key.header === undefined ? {} : {"x-session-id": key.header})},
    body: JSON.stringify({messages: messagesOfTurn(index, topic), max_tokens: 4, temperature: 0, ...(key.user === undefined ? {} : {user: key.user})})
  });
  const body = (await response.json()) as {usage?: {prompt_tokens: number; prompt_tokens_details: {cached_tokens: number}}};
  return {
    status: response.status,
    servedBy: response.headers.get("x-served-by"),
    promptTokens: body.usage?.prompt_tokens ?? 0,
    cachedTokens: body.usage?.prompt_tokens_details.cached_tokens ?? 0
  };
}

/** Sends the four turns in order; `topic` prefixes the system prompt so conversations do not share a prefix. */
export async function sendConversation(baseUrl: string, key: ConversationKey = {}, topic = ""): Promise<TurnResult[]> {
  const results: TurnResult[] = [];
  for (let index = 0; index < NUM_TURNS; index++) results.push(await sendTurn(baseUrl, index, key, topic));
  return results;
}
