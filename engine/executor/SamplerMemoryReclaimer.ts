/**
 * Works around native memory that node-llama-cpp releases only on garbage collection: every
 * `controlledEvaluate` call creates a sampler whose candidate buffer (about 12 bytes per vocabulary
 * token: 590 KB for a 50K vocabulary) is freed only when V8 collects the sampler's small JavaScript
 * wrapper. V8 cannot see that memory, so collections are rare and the process would grow by
 * gigabytes under load. This counts the buffers left behind and runs a major collection once they
 * add up to `thresholdBytes`; with a heap of tens of megabytes that costs milliseconds. Only a major
 * collection releases them. `gc` is enabled at run time,
 * so no command-line flag is needed.
 */
import {setFlagsFromString} from "node:v8";
import {runInNewContext} from "node:vm";

/** Bytes of one llama_token_data entry (id, logit, p): a sampler's candidate buffer holds one per token. */
export const BYTES_PER_CANDIDATE = 12;

let cachedGc: (() => void) | null | undefined;

function exposedGc(): (() => void) | null {
  if (cachedGc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      cachedGc = runInNewContext("gc") as () => void;
    } catch {
      cachedGc = null;
    }
  }
  return cachedGc;
}

export class SamplerMemoryReclaimer {
  private numPendingBytes = 0;
  numCollectionsTotal = 0;

  constructor(private readonly bytesPerSampler: number, private readonly thresholdBytes = 64 * 1024 * 1024) {}

  /** Records `numSamplers` samplers created; collects when their buffers reach the threshold. */
  noteSamplers(numSamplers: number): void {
    this.numPendingBytes += numSamplers * this.bytesPerSampler;
    if (this.numPendingBytes < this.thresholdBytes) return;
    this.numPendingBytes = 0;
    const gc = exposedGc();
    if (gc) {
      gc();
      this.numCollectionsTotal++;
    }
  }
}
