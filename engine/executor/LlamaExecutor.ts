/**
 * Runs scheduler steps on one node-llama-cpp context with a fixed pool of sequences. Each step feeds
 * every scheduled request's tokens to its sequence (SequenceDecoder.ts: one long-lived sampler per
 * sequence, or `controlledEvaluate`), all issued in the same tick and in sequence order
 * (batchOrder.ts) so the library puts them into one `llama_decode` call; the scheduler, not
 * event-loop timing, decides what a decode contains. Owns the sequences (created once, reused,
 * never handed out); does not own the model or the decision of what to run.
 *
 * Speculative decoding: a decode the scheduler allowed drafts gets them from the drafter first (all
 * drafting requests together), then feeds `[last, ...drafts]` and samples after every position in the
 * same target decode. Drafts are accepted while the target's own token at a position equals the
 * draft; the first disagreement, or the token after the last draft, is the target's token. Each
 * position is drawn with the seed it would get without drafts, so greedy and seeded outputs are the
 * same with or without speculation. Rejected drafts are erased from the sequence before the step ends.
 */
import type {BatchItem, LlamaContext, LlamaContextSequence, LlamaGrammarEvaluationState, PrioritizedBatchItem, Token, TokenBias} from "node-llama-cpp";
import type {ScheduledRequest, SchedulerOutput} from "../../scheduler/types.ts";
import {DEFAULT_BLOCK_SIZE} from "../../kvcache/index.ts";
import {HostPrefixStore} from "../prefix/HostPrefixStore.ts";
import type {GenerationRequest} from "../types.ts";
import {inSequenceOrder} from "./batchOrder.ts";
import {GrammarStates} from "./GrammarStates.ts";
import {createSequenceDecoder, type SampleOptions, type SamplingPath, type SequenceDecoder} from "./SequenceDecoder.ts";
import type {DraftTask, Drafter} from "./speculative/Drafter.ts";
import type {ExecutedStep, SamplingPlan, StepExecutor} from "./types.ts";
import type {DraftCounts} from "../../scheduler/types.ts";

export interface LlamaExecutorOptions {
  /** Bytes of saved sequence states the host-memory prefix tier may keep; 0 or undefined turns it off. */
  readonly hostPrefixCacheBytes?: number;
  /** The scheduler's KV block size, so the tier hashes prefixes in the same blocks. */
  readonly blockSize?: number;
  /** Tokens in the model's vocabulary: sizes the sampler buffers left for the garbage collector. */
  readonly vocabularySize?: number;
  /** Proposes draft tokens for speculative decoding; the executor disposes it. */
  readonly drafter?: Drafter;
  /** Fewer draft tokens than this are not verified (--draft-min). Default 0. */
  readonly minDraftTokens?: number;
  /** How decodes sample; the persistent path falls back by itself where it cannot run. Default persistent. */
  readonly samplingPath?: SamplingPath;
}

/** What one request's evaluation produced. */
interface Evaluated {
  readonly tokens: readonly number[];
  readonly draftCounts?: DraftCounts;
}

const NO_SAMPLES: ReadonlyMap<number, SampleOptions> = new Map();

/** Takes every queued item whole: the scheduler already kept the step within the batch size. */
function takeWholeItems({items, size}: {items: readonly BatchItem[]; size: number}): PrioritizedBatchItem[] {
  let left = size;
  const prioritized: PrioritizedBatchItem[] = [];
  for (const item of items) {
    if (left <= 0) break;
    const processAmount = Math.min(item.tokens.length, left);
    left -= processAmount;
    prioritized.push({item, processAmount});
  }
  return prioritized;
}

export class LlamaExecutor implements StepExecutor {
  readonly numSequences: number;
  readonly sequenceCapacity: number;
  readonly batchSize: number;
  private readonly sequences: LlamaContextSequence[];
  private readonly decodeCounter: {count: number};

  /** The host-memory prefix tier, when enabled; the engine hands it to the scheduler as its index. */
  readonly hostPrefixStore: HostPrefixStore | undefined;
  /** Decodes and samples; `decoder.path` says which way (for the start-up log and benchmarks). */
  readonly decoder: SequenceDecoder;
  readonly drafter: Drafter | undefined;
  private readonly minDraftTokens: number;
  /** Grammar states of constrained requests; null where grammars cannot be enforced. */
  private readonly grammars: GrammarStates | null;

  /** Use {@link LlamaExecutor.batchingOptions} when creating `context`, so decode calls are counted. */
  constructor(private readonly context: LlamaContext, decodeCounter: {count: number}, options: LlamaExecutorOptions = {}) {
    this.decodeCounter = decodeCounter;
    this.hostPrefixStore = options.hostPrefixCacheBytes
      ? new HostPrefixStore({maxBytes: options.hostPrefixCacheBytes, blockSize: options.blockSize ?? DEFAULT_BLOCK_SIZE})
      : undefined;
    this.drafter = options.drafter;
    this.minDraftTokens = options.minDraftTokens ?? 0;
    this.numSequences = context.totalSequences;
    // node-llama-cpp keeps one cell free per sequence: it holds at most contextSize - 1 tokens.
    this.sequenceCapacity = context.contextSize - 1;
    this.batchSize = context.batchSize;
    this.sequences = Array.from({length: this.numSequences}, () =>
      context.getSequence({
        // Never shift silently: the scheduler finishes a request with "length" before it fills up.
        contextShift: {size: 1, strategy: () => { throw new Error("sequence is full"); }}
      })
    );
    this.decoder = createSequenceDecoder(context, this.sequences, {vocabularySize: options.vocabularySize, preferred: options.samplingPath});
    // controlledEvaluate's per-position options carry no grammar, so only the persistent path constrains.
    this.grammars = this.decoder.path === "persistent-sampler" ? GrammarStates.create(context.model) : null;
  }

  get canConstrain(): boolean {
    return this.grammars !== null;
  }

  beginRequest(request: GenerationRequest): void {
    if (request.grammar) this.grammars?.begin(request.id, request.grammar);
  }

  endRequest(requestId: string): void {
    this.grammars?.end(requestId);
  }

  /** Batching hooks for `model.createContext`: whole items, and a count of decode calls. */
  static batchingOptions(decodeCounter: {count: number}) {
    return {
      itemPrioritizationStrategy: (options: {items: readonly BatchItem[]; size: number}) => {
        decodeCounter.count++;
        return takeWholeItems(options);
      }
    };
  }

  async executeStep(output: SchedulerOutput, plans: ReadonlyMap<string, SamplingPlan>): Promise<ExecutedStep> {
    const failures = new Map<string, Error>();
    await Promise.all(output.scheduled.filter((entry) => entry.isNewlyPlaced).map(async (entry) => {
      try {
        await this.trimSequence(entry);
      } catch (error) {
        failures.set(entry.requestId, asError(error));
      }
    }));
    const active = inSequenceOrder(output.scheduled.filter((entry) => !failures.has(entry.requestId)));
    const drafts = await this.draft(active);
    if (this.grammars) for (const entry of active) {
      const proposal = drafts.get(entry.sequenceIndex);
      if (proposal) drafts.set(entry.sequenceIndex, this.grammars.allowedDrafts(entry.requestId, proposal));
    }
    const decodesBefore = this.decodeCounter.count;
    // Issued synchronously, one after another, so every call is queued before the batch dispatches.
    const settled = await Promise.allSettled(active.map((entry) =>
      this.evaluate(entry, plans.get(entry.requestId), drafts.get(entry.sequenceIndex) ?? [])));
    const sampledTokens = new Map<string, readonly number[]>();
    const draftCounts = new Map<string, DraftCounts>();
    settled.forEach((result, index) => {
      const {requestId} = active[index]!;
      if (result.status === "rejected") failures.set(requestId, asError(result.reason));
      else if (result.value !== null) {
        sampledTokens.set(requestId, result.value.tokens);
        if (result.value.draftCounts) draftCounts.set(requestId, result.value.draftCounts);
      }
    });
    return {sampledTokens, draftCounts, failures, numDecodeCalls: this.decodeCounter.count - decodesBefore};
  }

  /**
   * Draft tokens for the step's speculating decodes, by sequence index. A drafter failure costs only
   * the speedup: the step runs without drafts.
   */
  private async draft(entries: readonly ScheduledRequest[]): Promise<Map<number, readonly number[]>> {
    if (!this.drafter) return new Map();
    // contextTokens copies the sequence's tokens: only for the requests that draft.
    const tasks: DraftTask[] = entries.filter((entry) => entry.maxNumDraftTokens > 0).map((entry) => ({
      sequenceIndex: entry.sequenceIndex,
      contextTokens: this.sequences[entry.sequenceIndex]!.contextTokens,
      lastToken: entry.tokens[0]!,
      maxNumTokens: entry.maxNumDraftTokens
    }));
    if (tasks.length === 0) return new Map();
    let proposals: ReadonlyMap<number, readonly number[]>;
    try {
      proposals = await this.drafter.draft(tasks);
    } catch {
      return new Map();
    }
    const kept = new Map<number, readonly number[]>();
    for (const task of tasks) {
      const proposal = (proposals.get(task.sequenceIndex) ?? []).slice(0, task.maxNumTokens);
      // A proposal below --draft-min is still verified as empty, so acceptance counts the step.
      kept.set(task.sequenceIndex, proposal.length >= this.minDraftTokens ? proposal : []);
    }
    return kept;
  }

  /**
   * A newly placed request keeps only the prefix the scheduler counted as already computed. What the
   * sequence held beyond it is saved to the host tier first when worth keeping (a returning
   * conversation can then be restored instead of re-prefilled), and a placement that reuses a saved
   * state loads it before trimming.
   */
  private async trimSequence(entry: ScheduledRequest): Promise<void> {
    const sequence = this.sequences[entry.sequenceIndex]!;
    const store = this.hostPrefixStore;
    if (store) {
      const held = sequence.contextTokens;
      const numKept = entry.restoreFrom ? 0 : Math.min(entry.numComputedTokens, held.length);
      if (held.length - numKept >= store.blockSize && store.isWorthSaving(held)) await store.save(sequence, held);
      if (entry.restoreFrom) {
        const path = store.pin(entry.restoreFrom.key);
        let hasRestored = false;
        try {
          await sequence.loadStateFromFile(path, {acceptRisk: true});
          hasRestored = true;
        } finally {
          store.unpin(entry.restoreFrom.key, hasRestored);
        }
      }
    }
    if (sequence.nextTokenIndex > entry.numComputedTokens)
      await sequence.eraseContextTokenRanges([{start: entry.numComputedTokens, end: sequence.nextTokenIndex}]);
    if (sequence.nextTokenIndex !== entry.numComputedTokens)
      throw new Error(`sequence ${entry.sequenceIndex} holds ${sequence.nextTokenIndex} tokens, scheduler expects ${entry.numComputedTokens}`);
  }

  private async evaluate(entry: ScheduledRequest, plan: SamplingPlan | undefined, drafts: readonly number[]): Promise<Evaluated | null> {
    const sequence = this.sequences[entry.sequenceIndex]!;
    if (!entry.isSampling || !plan) {
      await this.decoder.decode(entry.sequenceIndex, entry.tokens as Token[], NO_SAMPLES);
      return null;
    }
    const fed = [...entry.tokens, ...drafts] as Token[];
    const firstSampled = entry.tokens.length - 1;
    const grammarEvaluationState = this.grammars?.stateOf(entry.requestId);
    const sampleAt = new Map<number, SampleOptions>();
    const tokenBias = this.grammars?.tokenBias;
    for (let offset = 0; offset <= drafts.length; offset++) sampleAt.set(firstSampled + offset, samplingOptionsOf(plan, offset, drafts, grammarEvaluationState, tokenBias));
    // Chained where the sampler can: a rejected draft's tail is not sampled, so no state runs ahead of the output.
    const results = await this.decoder.decode(entry.sequenceIndex, fed, sampleAt, this.decoder.path === "persistent-sampler");
    const tokens: number[] = [];
    for (let offset = 0; offset <= drafts.length; offset++) {
      const token = results[offset];
      if (token == null) throw new Error("the model produced no token");
      tokens.push(token);
      if (token !== drafts[offset]) break;
    }
    const numAccepted = tokens.length - 1;
    const numRejected = drafts.length - numAccepted;
    if (numRejected > 0) await sequence.eraseContextTokenRanges([{start: sequence.nextTokenIndex - numRejected, end: sequence.nextTokenIndex}]);
    return entry.maxNumDraftTokens > 0 ? {tokens, draftCounts: {numDraftTokens: drafts.length, numAcceptedTokens: numAccepted}} : {tokens};
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drafter?.[Symbol.asyncDispose]();
    this.decoder.dispose();
    await Promise.all(this.sequences.map((sequence) => sequence.dispose()));
    this.hostPrefixStore?.dispose();
  }
}

/**
 * Sampler settings for the `offset`-th sampled position of a step: the seed that position gets
 * without speculation, and penalties that also count the drafts before it (they precede it in the output).
 */
function samplingOptionsOf(plan: SamplingPlan, offset: number, drafts: readonly number[], grammarEvaluationState: LlamaGrammarEvaluationState | undefined,
  grammarTokenBias: TokenBias | undefined): SampleOptions {
  const {sampling, stepSeeds, penaltyTokens} = plan;
  const hasPenalty = sampling.presencePenalty !== 0 || sampling.frequencyPenalty !== 0;
  const seed = stepSeeds[offset];
  if (seed === undefined) throw new Error(`no seed for sampled position ${offset}`);
  return {
    temperature: sampling.temperature,
    // Top-k 0 means no top-k. node-llama-cpp turns 0 into a top-k of the whole vocabulary, which
    // sorts all of it for every token, the dominant cost of sampling; null leaves the sampler out.
    topK: sampling.topK > 0 ? sampling.topK : NO_TOP_K,
    topP: sampling.topP,
    minP: sampling.minP,
    seed,
    repeatPenalty: hasPenalty ? {
      punishTokens: [...penaltyTokens, ...drafts.slice(0, offset)] as Token[],
      penalty: 1,
      presencePenalty: sampling.presencePenalty,
      frequencyPenalty: sampling.frequencyPenalty
    } : undefined,
    ...(grammarEvaluationState ? {grammarEvaluationState, tokenBias: grammarTokenBias} : {})
  };
}

/** node-llama-cpp drops null sampler fields, while undefined would get its default top-k of 40. */
const NO_TOP_K = null as unknown as undefined;

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
