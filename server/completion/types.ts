/**
 * The records of the completion pipeline (plan -> start -> deliver), shared by the HTTP routes and
 * the websocket. A plan is everything decided about a request before the engine sees it; a started
 * completion is what a transport needs to deliver it. Plain readonly data; no behaviour.
 */
import type {GenerationStream} from "../../engine/GenerationStream.ts";
import type {ChatMessage, ServedModel, ToolDefinition} from "../../engine/ServedModel.ts";
import type {LogprobOptions} from "../../engine/types.ts";
import type {Assignment} from "../canary/types.ts";
import type {VariantRouter} from "../canary/VariantRouter.ts";
import type {CompletionTrace} from "../metrics/CompletionTrace.ts";
import type {GenerationFields} from "../schemas/sampling.ts";
import type {PlannedConstraint} from "./constraint.ts";
import type {PlannedTools} from "./planTools.ts";

/** Which OpenAI endpoint a request came through: it decides the response shapes and field names. */
export type CompletionKind = "chat" | "text";

/** The prompt as the client gave it, rendered again for each variant that runs it (shadows included). */
export type PromptSource =
  | {readonly kind: "chat"; readonly messages: readonly ChatMessage[]; readonly tools?: readonly ToolDefinition[]}
  | {readonly kind: "text"; readonly text: string};

/** A validated completion request, routed to a variant, its prompt rendered for that variant's model. */
export interface CompletionPlan {
  readonly kind: CompletionKind;
  /** The completion id (`chatcmpl-...`, `cmpl-...`), also the engine's request id. */
  readonly id: string;
  readonly router: VariantRouter;
  readonly assignment: Assignment;
  /** The chosen variant's model. */
  readonly model: ServedModel;
  readonly promptSource: PromptSource;
  readonly promptTokens: readonly number[];
  /** The validated body's generation fields. */
  readonly fields: GenerationFields;
  /** max_completion_tokens or max_tokens, whichever the endpoint accepts; undefined: what the context leaves. */
  readonly maxTokens: number | undefined;
  /** What `response_format` asks the engine to enforce; undefined: free text. */
  readonly constraint: PlannedConstraint | undefined;
  /** Log-probabilities of the output tokens, with this many alternatives each; undefined: none. */
  readonly logprobs: LogprobOptions | undefined;
  /** Text completions with `echo`: the prompt comes back before the output (scored when `logprobs` is set). */
  readonly isEcho: boolean;
  /** Choices to generate for the prompt (`n`). */
  readonly numChoices: number;
  /** Tools the reply may call, parsed out of its text; undefined without tools or under tool_choice "none". */
  readonly tools: PlannedTools | undefined;
  readonly isStreaming: boolean;
  readonly includeUsage: boolean;
  /** The messages or prompt as sent, for the log line with `--log-prompts`. */
  readonly loggedPrompt: unknown;
}

/** A plan the engine accepted. */
export interface StartedCompletion {
  readonly plan: CompletionPlan;
  /** One generation per choice (`n`), in choice order. */
  readonly streams: readonly GenerationStream[];
  /** Unix seconds, the `created` of every object of the response. */
  readonly createdSeconds: number;
  readonly trace: CompletionTrace;
}
