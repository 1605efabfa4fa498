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
import type {BatchItem, LlamaContext, LlamaContextSequence, PrioritizedBatchItem} from "node-llama-cpp";
import type {DraftCounts, ScheduledRequest, SchedulerOutput} from "../../scheduler/types.ts";
import {DEFAULT_BLOCK_SIZE} from "../../kvcache/index.ts";
import {HostPrefixStore} from "../prefix/HostPrefixStore.ts";
import type {GenerationRequest, PositionLogprobs} from "../types.ts";
import {inSequenceOrder} from "./batchOrder.ts";
import {GrammarStates} from "./GrammarStates.ts";
import {type Evaluated, evaluateEntry} from "./evaluateEntry.ts";
import {createSequenceDecoder, type SamplingPath, type SequenceDecoder} from "./SequenceDecoder.ts";
import type {DraftTask, Drafter} from "./speculative/Drafter.ts";
import type {ExecutedStep, PromptScoring, SamplingPlan, StepExecutor} from "./types.ts";

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
  readonly sequences: LlamaContextSequence[];
  private readonly decodeCounter: {count: number};

  /** The host-memory prefix tier, when enabled; the engine hands it to the scheduler as its index. */
  readonly hostPrefixStore: HostPrefixStore | undefined;
  /** Decodes and samples; `decoder.path` says which way (for the start-up log and benchmarks). */
  readonly decoder: SequenceDecoder;
  readonly drafter: Drafter | undefined;
  private readonly minDraftTokens: number;
  /** Grammar states of constrained requests; null where grammars cannot be enforced. */
  readonly grammars: GrammarStates | null;

  /** Use {@link LlamaExecutor.batchingOptions} when creating `context`, so decode calls are counted. */
  constructor(context: LlamaContext, decodeCounter: {count: number}, options: LlamaExecutorOptions = {}) {
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

  get canScore(): boolean {
    return this.decoder.canScore;
  }

  /**
   * Whether one sequence can start from a copy of another's state (choices of one prompt share its
   * prefill): node-llama-cpp's internal copy, checked here; models that need KV checkpoints are left out.
   */
  get canCopySequences(): boolean {
    return this.decoder.path === "persistent-sampler" &&
      this.sequences.every((sequence) => typeof (sequence as unknown as Partial<SequenceCopy>)._copyStateFromOtherSequence === "function");
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

  async executeStep(output: SchedulerOutput, plans: ReadonlyMap<string, SamplingPlan>, scoring: ReadonlyMap<string, PromptScoring> = new Map()): Promise<ExecutedStep> {
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
      evaluateEntry(this, entry, plans.get(entry.requestId), drafts.get(entry.sequenceIndex) ?? [], scoring.get(entry.requestId))));
    const executed = collectEvaluations(active, settled, failures);
    return {...executed, numDecodeCalls: this.decodeCounter.count - decodesBefore};
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
      const numKept = entry.restoreFrom || entry.copyFrom ? 0 : Math.min(entry.numComputedTokens, held.length);
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
    if (entry.copyFrom) {
      const source = this.sequences[entry.copyFrom.sequenceIndex]!;
      const isCopied = await (sequence as unknown as SequenceCopy)._copyStateFromOtherSequence(source, entry.numComputedTokens);
      if (!isCopied) throw new Error(`copying sequence ${entry.copyFrom.sequenceIndex} into ${entry.sequenceIndex} failed`);
    }
    if (sequence.nextTokenIndex > entry.numComputedTokens)
      await sequence.eraseContextTokenRanges([{start: entry.numComputedTokens, end: sequence.nextTokenIndex}]);
    if (sequence.nextTokenIndex !== entry.numComputedTokens)
      throw new Error(`sequence ${entry.sequenceIndex} holds ${sequence.nextTokenIndex} tokens, scheduler expects ${entry.numComputedTokens}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drafter?.[Symbol.asyncDispose]();
    this.decoder.dispose();
    await Promise.all(this.sequences.map((sequence) => sequence.dispose()));
    this.hostPrefixStore?.dispose();
  }
}

/** node-llama-cpp's internal copy of one sequence's state into another, up to a token index. */
interface SequenceCopy {
  _copyStateFromOtherSequence(other: LlamaContextSequence, upToTokenIndex: number): Promise<boolean>;
}

/** The step's per-request results, by kind; a rejected evaluation is that request's failure. */
function collectEvaluations(active: readonly ScheduledRequest[], settled: readonly PromiseSettledResult<Evaluated>[], failures: Map<string, Error>): Omit<ExecutedStep, "numDecodeCalls"> {
  const sampledTokens = new Map<string, readonly number[]>();
  const draftCounts = new Map<string, DraftCounts>();
  const logprobs = new Map<string, readonly PositionLogprobs[]>();
  const promptScores = new Map<string, ReadonlyMap<number, PositionLogprobs>>();
  settled.forEach((result, index) => {
    const {requestId} = active[index]!;
    if (result.status === "rejected") {
      failures.set(requestId, asError(result.reason));
      return;
    }
    const evaluated = result.value;
    if (evaluated.tokens !== null) sampledTokens.set(requestId, evaluated.tokens);
    if (evaluated.draftCounts) draftCounts.set(requestId, evaluated.draftCounts);
    if (evaluated.logprobs) logprobs.set(requestId, evaluated.logprobs);
    if (evaluated.promptScores) promptScores.set(requestId, evaluated.promptScores);
  });
  return {sampledTokens, draftCounts, failures, logprobs, promptScores};
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
