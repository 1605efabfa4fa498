/**
 * Drafting with a small model that shares the target's vocabulary: one draft sequence per target
 * sequence, in its own context, kept in step with the target's tokens. Each step drafts greedily for
 * every speculating request in lock-step rounds, so a round is one draft `llama_decode` for all of
 * them; a request stops drafting when the draft's top token is less likely than `minProbability`
 * (llama.cpp's --draft-p-min). Owns the draft sequences; not the draft context or model (the runtime
 * that loaded them frees those).
 */
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import {commonPrefixLength} from "../../../kvcache/index.ts";
import {inSequenceOrder} from "../batchOrder.ts";
import {createSequenceDecoder, type SampleOptions, type SamplingPath, type SequenceDecoder} from "../SequenceDecoder.ts";
import type {DraftTask, Drafter} from "./Drafter.ts";

export interface DraftModelDrafterOptions {
  /** Stop drafting for a request when the draft's chosen token has a lower probability. Default 0 (never). */
  readonly minProbability?: number;
  /** Tokens in the vocabulary, for the decoder's fallback path (see SequenceDecoder). */
  readonly vocabularySize?: number;
  /** The decoder path to prefer; the persistent sampler unless told (bench:spec-cost compares them). */
  readonly samplingPath?: SamplingPath;
}

/** Greedy, with the chosen token's probability when --draft-p-min needs it (a pass over the vocabulary). */
const GREEDY_WITH_PROBABILITY: SampleOptions = {temperature: 0, isTopProbabilityWanted: true};
const GREEDY: SampleOptions = {temperature: 0};

interface Drafting {
  readonly task: DraftTask;
  readonly tokens: number[];
  input: number[];
}

export class DraftModelDrafter implements Drafter {
  private readonly sequences: LlamaContextSequence[];
  private readonly minProbability: number;
  private readonly sampling: SampleOptions;
  /** The executor's own decoder: one long-lived sampler per draft sequence, not one per round. */
  private readonly decoder: SequenceDecoder;

  constructor(context: LlamaContext, options: DraftModelDrafterOptions = {}) {
    this.minProbability = options.minProbability ?? 0;
    this.sampling = this.minProbability > 0 ? GREEDY_WITH_PROBABILITY : GREEDY;
    this.sequences = Array.from({length: context.totalSequences}, () =>
      context.getSequence({contextShift: {size: 1, strategy: () => { throw new Error("draft sequence is full"); }}})
    );
    this.decoder = createSequenceDecoder(context, this.sequences, {vocabularySize: options.vocabularySize, preferred: options.samplingPath});
  }

  async draft(tasks: readonly DraftTask[]): Promise<ReadonlyMap<number, readonly number[]>> {
    const all = await Promise.all(inSequenceOrder(tasks).map((task) => this.sync(task)));
    let active = all.filter(({task}) => task.maxNumTokens > 0);
    while (active.length > 0) {
      // Issued in one tick: every request's round goes into the same draft decode.
      const results = await Promise.all(active.map(({task, input}) =>
        this.decoder.decode(task.sequenceIndex, input as Token[], {sampleAt: new Map([[input.length - 1, this.sampling]])})));
      const next: Drafting[] = [];
      results.forEach((result, index) => {
        const drafting = active[index]!;
        const token = result.tokens[0];
        if (token == null || (this.minProbability > 0 && (result.topProbabilities[0] ?? 0) < this.minProbability)) return;
        drafting.tokens.push(token);
        if (drafting.tokens.length >= drafting.task.maxNumTokens) return;
        drafting.input = [token];
        next.push(drafting);
      });
      active = next;
    }
    const proposals = new Map<number, readonly number[]>();
    for (const {task, tokens} of all) if (tokens.length > 0) proposals.set(task.sequenceIndex, tokens);
    return proposals;
  }

  /** Trims the draft sequence to what it shares with the target, and plans feeding the rest. */
  private async sync(task: DraftTask): Promise<Drafting> {
    const sequence = this.sequences[task.sequenceIndex]!;
    const numCommon = commonPrefixLength(sequence.contextTokens, task.contextTokens);
    if (sequence.nextTokenIndex > numCommon) await sequence.eraseContextTokenRanges([{start: numCommon, end: sequence.nextTokenIndex}]);
    return {task, tokens: [], input: [...task.contextTokens.slice(numCommon), task.lastToken]};
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.decoder.dispose();
    await Promise.all(this.sequences.map((sequence) => sequence.dispose()));
  }
}
