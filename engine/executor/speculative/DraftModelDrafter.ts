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
import type {SamplerMemoryReclaimer} from "../SamplerMemoryReclaimer.ts";
import type {DraftTask, Drafter} from "./Drafter.ts";

export interface DraftModelDrafterOptions {
  /** Stop drafting for a request when the draft's chosen token has a lower probability. Default 0.6. */
  readonly minProbability?: number;
  /** Told of the sampler every `controlledEvaluate` call leaves behind (see SamplerMemoryReclaimer). */
  readonly samplerMemory?: SamplerMemoryReclaimer;
}

interface Drafting {
  readonly task: DraftTask;
  readonly sequence: LlamaContextSequence;
  readonly tokens: number[];
  input: number[];
}

type ControlledInput = Parameters<LlamaContextSequence["controlledEvaluate"]>[0];

export class DraftModelDrafter implements Drafter {
  private readonly sequences: LlamaContextSequence[];
  private readonly minProbability: number;
  private readonly samplerMemory: SamplerMemoryReclaimer | undefined;

  constructor(context: LlamaContext, options: DraftModelDrafterOptions = {}) {
    this.minProbability = options.minProbability ?? 0.6;
    this.samplerMemory = options.samplerMemory;
    this.sequences = Array.from({length: context.totalSequences}, () =>
      context.getSequence({contextShift: {size: 1, strategy: () => { throw new Error("draft sequence is full"); }}})
    );
  }

  async draft(tasks: readonly DraftTask[]): Promise<ReadonlyMap<number, readonly number[]>> {
    const all = await Promise.all(inSequenceOrder(tasks).map((task) => this.sync(task)));
    let active = all.filter(({task}) => task.maxNumTokens > 0);
    while (active.length > 0) {
      // Issued in one tick: every request's round goes into the same draft decode.
      const results = await Promise.all(active.map(({sequence, input}) => sequence.controlledEvaluate(toInput(input))));
      this.samplerMemory?.noteSamplers(active.length);
      const next: Drafting[] = [];
      results.forEach((result, index) => {
        const drafting = active[index]!;
        const generated = result.at(-1)?.next;
        if (generated?.token == null || topProbabilityOf(generated.totalLogitWeight) < this.minProbability) return;
        drafting.tokens.push(generated.token);
        if (drafting.tokens.length >= drafting.task.maxNumTokens) return;
        drafting.input = [generated.token];
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
    return {task, sequence, tokens: [], input: [...task.contextTokens.slice(numCommon), task.lastToken]};
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.sequences.map((sequence) => sequence.dispose()));
  }
}

/**
 * Feeds `tokens`, asking for the greedy next token after the last one and the sum of exp(logit -
 * max logit) over the vocabulary. The greedy token's probability is 1 / that sum. node-llama-cpp's
 * own `confidence` gives the same number but sorts the whole vocabulary first, which costs more than
 * the draft token's own decode on a small draft model.
 */
function toInput(tokens: readonly number[]): ControlledInput {
  const last = tokens.length - 1;
  return tokens.map((token, index) => index !== last ? token as Token : [token as Token, {
    generateNext: {token: true, totalLogitWeight: true, options: {temperature: 0}}
  }] as const) as ControlledInput;
}

function topProbabilityOf(totalLogitWeight: number | undefined): number {
  return totalLogitWeight === undefined || !(totalLogitWeight >= 1) ? 0 : 1 / totalLogitWeight;
}
