/**
 * The first stage of every completion request, whichever transport carries it: validate the body,
 * route it to a variant (sticky by the configured key), and render the prompt for that variant's
 * model. Throws the client error (400, 404, 503) when there is no plan.
 */
import {randomUUID} from "node:crypto";
import type {IncomingHttpHeaders} from "node:http";
import type {ModelRegistry} from "../ModelRegistry.ts";
import {chatCompletionBody} from "../schemas/chatCompletion.ts";
import {completionBody} from "../schemas/completion.ts";
import type {GenerationFields} from "../schemas/sampling.ts";
import {refuseUnsupportedFields} from "../schemas/unsupportedFields.ts";
import {ApiError} from "../errors.ts";
import {parseBody} from "../schemas/parseBody.ts";
import {constraintOf, type PlannedConstraint} from "./constraint.ts";
import {chatMessagesOf, planToolsFor, type ToolRequest, toolRequestOf} from "./planTools.ts";
import {renderPrompt} from "./renderPrompt.ts";
import type {LogprobOptions} from "../../engine/types.ts";
import type {CompletionKind, CompletionPlan, PromptSource} from "./types.ts";

/** OpenAI's documented default of `max_tokens` for text completions; chat has none. */
const TEXT_COMPLETION_DEFAULT_MAX_TOKENS = 16;

const ID_PREFIX: Readonly<Record<CompletionKind, string>> = {chat: "chatcmpl", text: "cmpl"};

function invalid(message: string, param: string): ApiError {
  return new ApiError(400, message, "invalid_request_error", param, "invalid_value");
}

interface PlanInput {
  readonly kind: CompletionKind;
  readonly fields: GenerationFields;
  readonly constraint: PlannedConstraint | undefined;
  readonly logprobs: LogprobOptions | undefined;
  readonly isEcho: boolean;
  readonly promptSource: PromptSource;
  readonly maxTokens: number | undefined;
  readonly loggedPrompt: unknown;
  /** Tools asked for; their syntax and grammar depend on the variant's model. */
  readonly toolRequest?: ToolRequest;
}

function plan(registry: ModelRegistry, input: PlanInput, headers: IncomingHttpHeaders | undefined): CompletionPlan {
  const {fields} = input;
  const router = registry.resolve(fields.model);
  const assignment = router.assign({user: fields.user, headers});
  const numChoices = fields.n ?? 1;
  // Each choice holds a sequence while it generates, so more choices than sequences could never run together.
  const numSequences = assignment.variant.model.engine.numSequences;
  if (numChoices > numSequences) throw invalid(`n may be at most ${numSequences}, the sequences this model decodes together`, "n");
  const planned = input.toolRequest ? planToolsFor(input.toolRequest, assignment.variant.model) : undefined;
  if (planned?.constraint && fields.ignore_eos) throw invalid("ignore_eos cannot be combined with tool_choice that forces a call", "ignore_eos");
  const {toolRequest: _, ...rest} = input;
  return {
    ...rest,
    tools: planned?.tools,
    constraint: planned?.constraint ?? input.constraint,
    id: `${ID_PREFIX[input.kind]}-${randomUUID().replaceAll("-", "")}`,
    router,
    assignment,
    model: assignment.variant.model,
    promptTokens: renderPrompt(input.promptSource, assignment.variant),
    numChoices,
    isStreaming: fields.stream === true,
    includeUsage: fields.stream_options?.include_usage === true
  };
}

/** The plan of a `/v1/chat/completions` body; `headers` carry the sticky key when the model routes by a header. */
export function planChatCompletion(registry: ModelRegistry, rawBody: unknown, headers?: IncomingHttpHeaders): CompletionPlan {
  const body = parseBody(chatCompletionBody, rawBody);
  refuseUnsupportedFields(rawBody as Record<string, unknown>, "chat");
  const messages = chatMessagesOf(body);
  const toolRequest = toolRequestOf(body);
  const constraint = constraintOf(body.response_format);
  // A finished grammar allows only end-of-generation, which ignore_eos would refuse forever.
  if (constraint && body.ignore_eos) throw new ApiError(400, "ignore_eos cannot be combined with a response_format that constrains the output", "invalid_request_error", "ignore_eos", "invalid_value");
  if ((body.top_logprobs ?? 0) > 0 && body.logprobs !== true) throw invalid("top_logprobs requires logprobs: true", "top_logprobs");
  return plan(registry, {
    kind: "chat",
    fields: body,
    constraint,
    logprobs: body.logprobs === true ? {numTop: body.top_logprobs ?? 0} : undefined,
    isEcho: false,
    promptSource: {kind: "chat", messages, ...(toolRequest && toolRequest.mode !== "none" ? {tools: toolRequest.definitions} : {})},
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    loggedPrompt: body.messages,
    ...(toolRequest ? {toolRequest} : {})
  }, headers);
}

/** The plan of a `/v1/completions` body. */
export function planTextCompletion(registry: ModelRegistry, rawBody: unknown, headers?: IncomingHttpHeaders): CompletionPlan {
  const body = parseBody(completionBody, rawBody);
  refuseUnsupportedFields(rawBody as Record<string, unknown>, "text");
  const text = typeof body.prompt === "string" ? body.prompt : body.prompt[0]!;
  const isEcho = body.echo === true;
  if (body.max_tokens === 0 && !isEcho) throw invalid("max_tokens may be 0 only with echo: true (scoring the prompt)", "max_tokens");
  // The prompt's scores are ready only at the end, while an echoed stream starts with the prompt.
  if (isEcho && body.logprobs != null && body.stream === true) throw invalid("echo with logprobs is not supported with stream: true", "stream");
  return plan(registry, {
    kind: "text",
    fields: body,
    constraint: undefined,
    logprobs: body.logprobs != null ? {numTop: body.logprobs} : undefined,
    isEcho,
    promptSource: {kind: "text", text},
    maxTokens: body.max_tokens ?? TEXT_COMPLETION_DEFAULT_MAX_TOKENS,
    loggedPrompt: text
  }, headers);
}
