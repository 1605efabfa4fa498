/**
 * Test utility: llama.cpp's own grammar engine as the judge of a GBNF grammar. Compiles grammars
 * with node-llama-cpp's real parser and walks a document's tokens (tokenized by the tiny synthetic
 * model, whose GPT-2 byte-level vocabulary spells any UTF-8) through a grammar evaluation state, the
 * way the sampler advances it during generation.
 *
 * End-of-generation is never accepted into a state: llama.cpp aborts the process when EOG reaches an
 * unfinished grammar. Completion is checked by asking whether EOG *can be* next, which only filters a
 * candidate list (the probe in walker.test.ts runs that check in a child process first).
 */
import {getLlama, type Llama, type LlamaGrammar, LlamaGrammarEvaluationState, LlamaLogLevel, type LlamaModel, type Token} from "node-llama-cpp";
import {ensureSyntheticModel} from "../../../engine/synthetic/ensureSyntheticModel.ts";

/** GPT-2's byte-level alphabet, reversed: printable bytes stand for themselves, the rest for U+0100 on. */
const GPT2_BYTE_OF_CHAR: ReadonlyMap<string, number> = (() => {
  const map = new Map<string, number>();
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    map.set(String.fromCodePoint(printable ? byte : 256 + shifted++), byte);
  }
  return map;
})();

/** Where a walk stopped. */
export interface WalkResult {
  /** Every token of the document was allowed. */
  readonly accepted: boolean;
  /** Accepted, and end-of-generation may follow: the grammar's root is complete. */
  readonly complete: boolean;
  /** Character offset of the first rejected token, when one was rejected. */
  readonly rejectedAt?: number;
}

interface NativeGrammarChecks {
  canBeNextTokenForGrammarEvaluationState(state: unknown, token: number): boolean;
  acceptGrammarEvaluationStateToken(state: unknown, token: number): void;
}

/** The loaded judge. */
export class GrammarHarness {
  private readonly compiled = new Map<string, LlamaGrammar>();
  private readonly checks: NativeGrammarChecks;
  readonly eog: Token;

  private constructor(readonly llama: Llama, readonly model: LlamaModel) {
    const sampler = (llama as unknown as {_bindings?: {AddonSampler?: Partial<NativeGrammarChecks>}})._bindings?.AddonSampler;
    if (typeof sampler?.canBeNextTokenForGrammarEvaluationState !== "function" || typeof sampler.acceptGrammarEvaluationStateToken !== "function") {
      throw new Error("node-llama-cpp no longer exposes AddonSampler's grammar checks");
    }
    this.checks = sampler as NativeGrammarChecks;
    this.eog = model.tokens.eos!;
  }

  static async load(): Promise<GrammarHarness> {
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
    const model = await llama.loadModel({modelPath: ensureSyntheticModel("tiny").path});
    return new GrammarHarness(llama, model);
  }

  /** Compiles (once per text) with node-llama-cpp's parser; throws "Failed to parse grammar". */
  async compile(grammar: string): Promise<LlamaGrammar> {
    let compiled = this.compiled.get(grammar);
    if (compiled === undefined) {
      compiled = await this.llama.createGrammar({grammar});
      this.compiled.set(grammar, compiled);
    }
    return compiled;
  }

  /** A fresh evaluation state for the grammar. */
  async state(grammar: string): Promise<LlamaGrammarEvaluationState> {
    return new LlamaGrammarEvaluationState({model: this.model, grammar: await this.compile(grammar)});
  }

  canBeNext(state: LlamaGrammarEvaluationState, token: Token): boolean {
    return this.checks.canBeNextTokenForGrammarEvaluationState((state as unknown as {_state: unknown})._state, token);
  }

  /** Advances the state; never call it with end-of-generation. */
  accept(state: LlamaGrammarEvaluationState, token: Token): void {
    if (this.model.isEogToken(token)) throw new Error("refusing to accept end-of-generation into a grammar state");
    this.checks.acceptGrammarEvaluationStateToken((state as unknown as {_state: unknown})._state, token);
  }

  /** Walks the document's tokens through a fresh state of the grammar. */
  async walk(grammar: string, text: string): Promise<WalkResult> {
    const state = await this.state(grammar);
    const tokens = this.model.tokenize(text);
    const pieces = tokens.map((token) => this.pieceBytes(token));
    if (!Buffer.concat(pieces).equals(Buffer.from(text, "utf8"))) throw new Error(`the tokenizer does not round-trip ${JSON.stringify(text)}`);
    let offset = 0;
    for (const [index, token] of tokens.entries()) {
      if (this.model.isEogToken(token) || !this.canBeNext(state, token)) return {accepted: false, complete: false, rejectedAt: offset};
      this.accept(state, token);
      offset += pieces[index]!.length;
    }
    return {accepted: true, complete: this.canBeNext(state, this.eog)};
  }

  /**
   * The bytes the grammar sees for a token (its vocabulary piece), which detokenize() would not
   * give: it tidies spaces before punctuation.
   */
  pieceBytes(token: Token): Buffer {
    const piece = (this.model.fileInfo.metadata.tokenizer.ggml.tokens as readonly string[])[token] ?? "";
    return Buffer.from([...piece].map((char) => GPT2_BYTE_OF_CHAR.get(char) ?? 0));
  }

  /** True when the whole document is accepted and complete. */
  async accepts(grammar: string, text: string): Promise<boolean> {
    const result = await this.walk(grammar, text);
    return result.complete;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
    await this.llama.dispose();
  }
}
