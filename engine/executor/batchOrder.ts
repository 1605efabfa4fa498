/**
 * The order in which a step's decodes are issued to node-llama-cpp, which puts them into the batch
 * in that order. Owns only that rule; used by the executor and by the draft model's rounds.
 *
 * Why it matters: with one KV stream per sequence, llama.cpp splits a batch into micro-batches of
 * consecutive increasing sequence ids only (`split_equal(..., sequential)` in llama-batch.cpp), each
 * a full pass over the weights: 8 decodes issued in arrival order cost up to 8 passes instead of 1.
 */

/** The entries by sequence index (a copy; the input is left as it is). */
export function inSequenceOrder<T extends {readonly sequenceIndex: number}>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => a.sequenceIndex - b.sequenceIndex);
}
