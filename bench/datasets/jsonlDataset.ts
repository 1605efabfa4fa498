/**
 * The JSONL dataset: one chat request body per line, as a user recorded or wrote them. Lines are
 * validated up front (zod) so a typo fails before any load is sent, with its line number. Fields the
 * bench controls (`model`, `stream`, `stream_options`) are dropped; any other field is sent as is.
 * Lines are used in file order, cycling when more requests than lines are asked for.
 */
import {readFileSync} from "node:fs";
import {z} from "zod";
import {buildIndexedSpecs} from "./indexedSpecs.ts";
import {spreadLength} from "./words.ts";
import type {TokenCounter} from "../tokenCounter.ts";
import type {ChatMessage, DatasetConfig, RequestSpec} from "../types.ts";

/** One validated line of the file. */
export interface JsonlRequest {
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number;
  readonly extraBody: Readonly<Record<string, unknown>>;
}

/** A file line that is not a usable chat request. */
export class JsonlDatasetError extends Error {
  constructor(
    readonly line: number,
    message: string
  ) {
    super(`line ${line}: ${message}`);
    this.name = "JsonlDatasetError";
  }
}

const textPart = z.object({type: z.literal("text"), text: z.string()});
const lineSchema = z.looseObject({
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "user", "assistant", "tool", "developer"]),
        content: z.union([z.string(), z.array(textPart)])
      })
    )
    .min(1),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional()
});

const CONTROLLED_FIELDS = new Set(["messages", "max_tokens", "max_completion_tokens", "model", "stream", "stream_options"]);

/**
 * Reads and validates a JSONL file; blank lines are skipped.
 * @throws JsonlDatasetError on the first invalid line, or when the file holds no request.
 */
export function loadJsonlRequests(path: string): JsonlRequest[] {
  return parseJsonlRequests(readFileSync(path, "utf8"));
}

/** `loadJsonlRequests` on text already in memory. */
export function parseJsonlRequests(text: string): JsonlRequest[] {
  const requests: JsonlRequest[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new JsonlDatasetError(index + 1, `not JSON (${(error as Error).message})`);
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new JsonlDatasetError(index + 1, `${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`.trim());
    }
    const line = parsed.data;
    const extraBody = Object.fromEntries(Object.entries(line).filter(([key]) => !CONTROLLED_FIELDS.has(key)));
    const maxTokens = line.max_tokens ?? line.max_completion_tokens;
    requests.push({
      messages: line.messages.map((message) => ({
        role: message.role,
        content: typeof message.content === "string" ? message.content : message.content.map((part) => part.text).join("")
      })),
      ...(maxTokens === undefined ? {} : {maxTokens}),
      extraBody
    });
  });
  if (requests.length === 0) throw new JsonlDatasetError(0, "the file holds no request");
  return requests;
}

/** `count` requests from `lines`, cycling; lines without a length get `outputLen` (with spread). */
export function buildJsonlDataset(
  lines: readonly JsonlRequest[],
  dataset: DatasetConfig,
  count: number,
  seed: number,
  counter: TokenCounter
): RequestSpec[] {
  if (lines.length === 0) return [];
  return buildIndexedSpecs(count, seed, "jsonl", (index, rng) => {
    const line = lines[index % lines.length]!;
    return {
      id: `j${index}`,
      messages: line.messages,
      maxTokens: line.maxTokens ?? spreadLength(rng, dataset.outputLen, dataset.lenSpread),
      estimatedPromptTokens: counter.countMessages(line.messages),
      extraBody: line.extraBody
    };
  });
}
