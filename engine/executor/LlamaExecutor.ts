/**
 * Runs scheduler steps on one node-llama-cpp context with a fixed pool of sequences. Each step feeds
 * every scheduled request's tokens through `controlledEvaluate`, all issued in the same tick so the
 * library puts them into one `llama_decode` call; the scheduler, not event-loop timing, decides what a
 * decode contains. Owns the sequences (created once, reused, never handed out); does not own the model
 * or the decision of what to run.
 */
import type {BatchItem, LlamaContext, LlamaContextSequence, PrioritizedBatchItem, Token} from "node-llama-cpp";
import type {ScheduledRequest, SchedulerOutput} from "../../scheduler/types.ts";
import {DEFAULT_BLOCK_SIZE} from "../../kvcache/index.ts";
import {HostPrefixStore} from "../prefix/HostPrefixStore.ts";
import {SamplerMemoryReclaimer} from "./SamplerMemoryReclaimer.ts";
import type {ExecutedStep, SamplingPlan, StepExecutor} from "./types.ts";

export interface LlamaExecutorOptions {
  /** Bytes of saved sequence states the host-memory prefix tier may keep; 0 or undefined turns it off. */
  readonly hostPrefixCacheBytes?: number;
  /** The scheduler's KV block size, so the tier hashes prefixes in the same blocks. */
  readonly blockSize?: number;
  /** Tokens in the model's vocabulary: sizes the sampler buffers left for the garbage collector. */
  readonly vocabularySize?: number;
}

/** Bytes of one llama_token_data entry (id, logit, p): a sampler's candidate buffer holds one per token. */
const BYTES_PER_CANDIDATE = 12;

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
  private readonly samplerMemory: SamplerMemoryReclaimer;

  /** Use {@link LlamaExecutor.batchingOptions} when creating `context`, so decode calls are counted. */
  constructor(private readonly context: LlamaContext, decodeCounter: {count: number}, options: LlamaExecutorOptions = {}) {
    this.decodeCounter = decodeCounter;
    this.hostPrefixStore = options.hostPrefixCacheBytes
      ? new HostPrefixStore({maxBytes: options.hostPrefixCacheBytes, blockSize: options.blockSize ?? DEFAULT_BLOCK_SIZE})
      : undefined;
    this.samplerMemory = new SamplerMemoryReclaimer((options.vocabularySize ?? 131_072) * BYTES_PER_CANDIDATE);
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
    const decodesBefore = this.decodeCounter.count;
    const active = output.scheduled.filter((entry) => !failures.has(entry.requestId));
    // Issued synchronously, one after another, so every call is queued before the batch dispatches.
    const settled = await Promise.allSettled(active.map((entry) => this.evaluate(entry, plans.get(entry.requestId))));
    // Each controlledEvaluate call above left a sampler for the garbage collector.
    this.samplerMemory.noteSamplers(active.length);
    const sampledTokens = new Map<string, number>();
    settled.forEach((result, index) => {
      const {requestId} = active[index]!;
      if (result.status === "rejected") failures.set(requestId, asError(result.reason));
      else if (result.value !== null) sampledTokens.set(requestId, result.value);
    });
    return {sampledTokens, failures, numDecodeCalls: this.decodeCounter.count - decodesBefore};
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

  private async evaluate(entry: ScheduledRequest, plan: SamplingPlan | undefined): Promise<number | null> {
    const sequence = this.sequences[entry.sequenceIndex]!;
    const last = entry.tokens.length - 1;
    if (!entry.isSampling || !plan) {
      await sequence.controlledEvaluate(entry.tokens as Token[]);
      return null;
    }
    const {sampling, stepSeed, penaltyTokens} = plan;
    const hasPenalty = sampling.presencePenalty !== 0 || sampling.frequencyPenalty !== 0;
    const input = entry.tokens.map((token, index) => index !== last ? token : [token, {
      generateNext: {
        token: true,
        options: {
          temperature: sampling.temperature,
          topK: sampling.topK,
          topP: sampling.topP,
          minP: sampling.minP,
          seed: stepSeed,
          repeatPenalty: hasPenalty ? {
            punishTokens: [...penaltyTokens],
            penalty: 1,
            presencePenalty: sampling.presencePenalty,
            frequencyPenalty: sampling.frequencyPenalty
          } : undefined
        }
      }
    }] as const);
    const results = await sequence.controlledEvaluate(input as Parameters<LlamaContextSequence["controlledEvaluate"]>[0]);
    const token = results[last]?.next.token;
    if (token == null) throw new Error("the model produced no token");
    return token;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.sequences.map((sequence) => sequence.dispose()));
    this.hostPrefixStore?.dispose();
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
