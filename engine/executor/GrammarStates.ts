/**
 * The grammars of a context's constrained requests: each request's grammar evaluation state (one per
 * request, not per sequence, so it survives preemption: re-fed output tokens are not sampled, so they
 * are not accepted twice), and the compiled grammars they come from, cached by key. The persistent
 * sampler advances a state itself as it samples; this class only creates, hands out, checks drafts
 * against, and frees them. Owns those native objects.
 *
 * An end-of-generation token must never be accepted into a grammar that is not complete: llama.cpp
 * aborts the process. The sampler skips EOG when accepting; the draft check here stops before it.
 *
 * llama.cpp's grammar matches code points decoded from token bytes without validating them, so a
 * byte that never occurs in UTF-8 (C0, C1, F5-FF) would pass as part of some character and come
 * out as U+FFFD, breaking a string's length limit. Constrained requests therefore never sample a
 * token holding such a byte (`tokenBias`).
 */
import {type Llama, LlamaGrammar, LlamaGrammarEvaluationState, type LlamaModel, type Token, TokenBias} from "node-llama-cpp";
import {tokenBytesOf} from "../model/tokenBytes.ts";
import {GrammarCache} from "../structured/index.ts";
import {EngineError} from "../errors.ts";
import type {GrammarSpec} from "../types.ts";

/** Compiled grammars kept for reuse; past this the least recently used goes. */
const MAX_CACHED_GRAMMARS = 64;

/** The binding's grammar checks, which node-llama-cpp does not export (its LlamaSampler uses them). */
interface GrammarChecks {
  canBeNextTokenForGrammarEvaluationState(state: unknown, token: number): boolean;
  acceptGrammarEvaluationStateToken(state: unknown, token: number): void;
}

function grammarChecksOf(llama: Llama): GrammarChecks | null {
  const sampler = (llama as unknown as {_bindings?: {AddonSampler?: Partial<GrammarChecks>}})._bindings?.AddonSampler;
  return typeof sampler?.canBeNextTokenForGrammarEvaluationState === "function" && typeof sampler.acceptGrammarEvaluationStateToken === "function"
    ? sampler as GrammarChecks
    : null;
}

/** The native state behind a LlamaGrammarEvaluationState. */
function nativeOf(state: LlamaGrammarEvaluationState): unknown {
  return (state as unknown as {_state: unknown})._state;
}

export class GrammarStates {
  private readonly grammars = new GrammarCache<LlamaGrammar>({maxEntries: MAX_CACHED_GRAMMARS});
  private readonly states = new Map<string, LlamaGrammarEvaluationState>();

  /** Bans tokens that hold a byte no UTF-8 text contains; undefined when the vocabulary's bytes are unknown. */
  readonly tokenBias: TokenBias | undefined;

  private constructor(private readonly model: LlamaModel, private readonly checks: GrammarChecks) {
    this.tokenBias = invalidUtf8Bias(model);
  }

  /** Null when this node-llama-cpp lacks the grammar checks drafts need. */
  static create(model: LlamaModel): GrammarStates | null {
    const checks = grammarChecksOf(model.llama);
    return checks && new GrammarStates(model, checks);
  }

  private get llama(): Llama {
    return this.model.llama;
  }

  /** Creates a request's state; throws EngineError("unsupported_grammar") when the grammar does not compile. */
  begin(requestId: string, spec: GrammarSpec): void {
    this.states.set(requestId, new LlamaGrammarEvaluationState({model: this.model, grammar: this.compiled(spec)}));
  }

  /** The request's state; undefined for an unconstrained request. */
  stateOf(requestId: string): LlamaGrammarEvaluationState | undefined {
    return this.states.get(requestId);
  }

  end(requestId: string): void {
    this.states.delete(requestId);
  }

  /**
   * The longest prefix of `drafts` the grammar allows after what the request produced so far,
   * checked on a clone (the request's own state is advanced by sampling only). Stops before an
   * end-of-generation token: the target decides whether generation ends.
   */
  allowedDrafts(requestId: string, drafts: readonly number[]): readonly number[] {
    const state = this.states.get(requestId);
    if (state === undefined || drafts.length === 0) return drafts;
    const clone = state.clone();
    let numAllowed = 0;
    for (const draft of drafts) {
      const token = draft as Token;
      if (this.model.isEogToken(token) || !this.checks.canBeNextTokenForGrammarEvaluationState(nativeOf(clone), token)) break;
      this.checks.acceptGrammarEvaluationStateToken(nativeOf(clone), token);
      numAllowed++;
    }
    return numAllowed === drafts.length ? drafts : drafts.slice(0, numAllowed);
  }

  private compiled(spec: GrammarSpec): LlamaGrammar {
    return this.grammars.getOrCreate(spec.cacheKey, () => {
      try {
        // The constructor parses synchronously, so a request is refused at submit rather than failed later.
        return new LlamaGrammar(this.llama, {grammar: spec.text});
      } catch (error) {
        throw new EngineError("unsupported_grammar", `the grammar does not compile: ${(error as Error).message}`);
      }
    });
  }
}

/** True for a byte that no well-formed UTF-8 text contains. */
function isNeverUtf8(byte: number): boolean {
  return byte === 0xc0 || byte === 0xc1 || byte >= 0xf5;
}

function invalidUtf8Bias(model: LlamaModel): TokenBias | undefined {
  const bytes = tokenBytesOf(model);
  const numTokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
  if (bytes === null || numTokens === 0) return undefined;
  const bias = new TokenBias(model.tokenizer);
  for (let token = 0; token < numTokens; token++) if (bytes.bytesOf(token).some(isNeverUtf8)) bias.set(token as Token, "never");
  return bias;
}
