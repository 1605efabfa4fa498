/**
 * Streamed chat completions for the cluster tests: which replica serves each (HAProxy's
 * `x-served-by`), when it is running (its first content token arrived), and how it ended (with
 * `[DONE]` and a finish reason, or cut: the body ended or failed before `[DONE]`).
 */
import {readSseData} from "../utils/sse.ts";

export interface StreamEnd {
  readonly isDone: boolean;
  readonly finishReason: string | null;
  /** Output tokens as the final chunk's timings report them; 0 when none came. */
  readonly generatedTokens: number;
  /** Why reading failed, when it did (the connection was cut). */
  readonly error: string | null;
}

export interface ClusterStream {
  readonly status: number;
  readonly servedBy: string | null;
  /** Resolves at the first content chunk; rejects if the stream ends before one. */
  readonly running: Promise<void>;
  readonly ended: Promise<StreamEnd>;
}

interface Chunk {
  readonly choices: {delta?: {content?: string}; finish_reason: string | null}[];
  readonly timings?: {readonly generated_tokens: number};
}

export async function startStream(baseUrl: string, {sessionKey, maxTokens}: {readonly sessionKey?: string; readonly maxTokens: number}): Promise<ClusterStream> {
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: {"content-type": "application/json", ...(sessionKey === undefined ? {} : {"x-session-id": sessionKey})},
    body: JSON.stringify({messages: [{role: "user", content: "Tell a long story."}], max_tokens: maxTokens, ignore_eos: true, stream: true})
  });
  let onRunning!: () => void;
  let onNeverRan!: (error: Error) => void;
  const running = new Promise<void>((resolve, reject) => { onRunning = resolve; onNeverRan = reject; });
  // Handled here: a stream that never runs is reported through `ended` too.
  running.catch(() => {});
  const ended = (async (): Promise<StreamEnd> => {
    let isDone = false;
    let finishReason: string | null = null;
    let generatedTokens = 0;
    let error: string | null = null;
    try {
      for await (const data of readSseData(response)) {
        if (data === "[DONE]") {
          isDone = true;
          continue;
        }
        const chunk = JSON.parse(data) as Chunk;
        const choice = chunk.choices[0];
        if (choice?.delta?.content) onRunning();
        generatedTokens = chunk.timings?.generated_tokens ?? generatedTokens;
        finishReason = choice?.finish_reason ?? finishReason;
      }
    } catch (caught) {
      error = (caught as Error).message;
    }
    onNeverRan(new Error(`the stream ended before its first token (${error ?? "no error"})`));
    return {isDone, finishReason, generatedTokens, error};
  })();
  return {status: response.status, servedBy: response.headers.get("x-served-by"), running, ended};
}
