/**
 * The host-memory prefix tier: sequence states saved before the engine overwrites an idle sequence,
 * so a conversation that returns after its sequence was reused gets its prefix restored instead of
 * re-prefilled. node-llama-cpp's public state API writes files, so states live in a private folder
 * under the OS temp directory, bounded by bytes, evicted least recently used first, and removed at
 * shutdown. They stay in the page cache, so saving and loading cost about a memory copy of the state
 * and a tmpfs buys nothing over the temp directory. Entries
 * are found by the chained block hashes of their tokens (kvcache/blockHash.ts), and matched
 * token-exactly. Owns the files and their index; when to save and restore is the executor's,
 * whether to restore is the scheduler's.
 */
import {mkdtempSync, rmSync} from "node:fs";
import {unlink} from "node:fs/promises";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {type BlockHash, commonPrefixLength, computeBlockHashes} from "../../kvcache/index.ts";
import type {HostPrefixIndex, HostPrefixMatch} from "../../scheduler/types.ts";

/** What the store needs of a sequence: node-llama-cpp's state file API. */
export interface SavableSequence {
  saveStateToFile(path: string): Promise<{fileSize: number}>;
}

export interface HostPrefixStoreOptions {
  readonly maxBytes: number;
  readonly blockSize: number;
}

interface Entry {
  readonly key: string;
  readonly path: string;
  readonly tokens: readonly number[];
  readonly blockHashes: readonly BlockHash[];
  readonly numBytes: number;
  lastUsedTick: number;
  numPins: number;
}

export interface HostPrefixCounters {
  readonly numSavesTotal: number;
  readonly numRestoresTotal: number;
  readonly numEvictionsTotal: number;
  readonly numBytesStored: number;
  readonly numEntries: number;
}

export class HostPrefixStore implements HostPrefixIndex {
  private readonly directory = mkdtempSync(join(tmpdir(), "inflight-prefix-"));
  private readonly entries = new Map<string, Entry>();
  /** Every full-block hash of every entry's tokens, to the entries holding that prefix. */
  private readonly byBlockHash = new Map<BlockHash, Set<Entry>>();
  private tick = 0;
  private numFilesWritten = 0;
  private counters = {numSavesTotal: 0, numRestoresTotal: 0, numEvictionsTotal: 0, numBytesStored: 0};

  constructor(private readonly options: HostPrefixStoreOptions) {}

  get blockSize(): number {
    return this.options.blockSize;
  }

  get stats(): HostPrefixCounters {
    return {...this.counters, numEntries: this.entries.size};
  }

  /** States worth saving hold at least one full block; shorter ones are cheaper to recompute. */
  isWorthSaving(tokens: readonly number[]): boolean {
    return tokens.length >= this.options.blockSize && !this.covers(tokens);
  }

  findLongestPrefix(tokens: readonly number[]): HostPrefixMatch | null {
    const hashes = this.hashes(tokens);
    for (let blockIndex = hashes.length - 1; blockIndex >= 0; blockIndex--) {
      const holders = this.byBlockHash.get(hashes[blockIndex]!);
      if (!holders || holders.size === 0) continue;
      let best: Entry | undefined;
      let bestLength = 0;
      for (const entry of holders) {
        const length = commonPrefixLength(entry.tokens, tokens);
        if (length > bestLength) {
          best = entry;
          bestLength = length;
        }
      }
      if (best) return {key: best.key, numTokens: bestLength, tokens: best.tokens};
    }
    return null;
  }

  /** Saves the sequence's state, which holds `tokens`; drops entries it covers and the least recently used beyond the budget. */
  async save(sequence: SavableSequence, tokens: readonly number[]): Promise<void> {
    const path = join(this.directory, `state-${this.numFilesWritten++}.bin`);
    const {fileSize} = await sequence.saveStateToFile(path);
    const blockHashes = this.hashes(tokens);
    const entry: Entry = {key: `${blockHashes.at(-1)}-${tokens.length}`, path, tokens: [...tokens], blockHashes, numBytes: fileSize, lastUsedTick: ++this.tick, numPins: 0};
    const previous = this.entries.get(entry.key);
    if (previous) await this.remove(previous);
    for (const other of [...this.entries.values()]) {
      if (other.numPins === 0 && other.tokens.length <= tokens.length && commonPrefixLength(other.tokens, tokens) === other.tokens.length) await this.remove(other);
    }
    this.entries.set(entry.key, entry);
    for (const hash of blockHashes) {
      const holders = this.byBlockHash.get(hash) ?? new Set<Entry>();
      holders.add(entry);
      this.byBlockHash.set(hash, holders);
    }
    this.counters.numSavesTotal++;
    this.counters.numBytesStored += fileSize;
    await this.evictBeyondBudget();
  }

  /** Keeps an entry from eviction while a restore of it is pending. */
  pin(key: string): string {
    const entry = this.entries.get(key);
    if (!entry) throw new Error(`no saved prefix ${key}`);
    entry.numPins++;
    entry.lastUsedTick = ++this.tick;
    return entry.path;
  }

  unpin(key: string, hasRestored: boolean): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.numPins = Math.max(0, entry.numPins - 1);
    if (hasRestored) this.counters.numRestoresTotal++;
  }

  /** Deletes every file; the store is empty afterwards. */
  dispose(): void {
    this.entries.clear();
    this.byBlockHash.clear();
    this.counters.numBytesStored = 0;
    rmSync(this.directory, {recursive: true, force: true});
  }

  private covers(tokens: readonly number[]): boolean {
    const match = this.findLongestPrefix(tokens);
    return match !== null && match.numTokens === tokens.length;
  }

  private hashes(tokens: readonly number[]): BlockHash[] {
    return computeBlockHashes(tokens, {blockSize: this.options.blockSize});
  }

  private async evictBeyondBudget(): Promise<void> {
    while (this.counters.numBytesStored > this.options.maxBytes) {
      let oldest: Entry | undefined;
      for (const entry of this.entries.values()) {
        if (entry.numPins === 0 && (oldest === undefined || entry.lastUsedTick < oldest.lastUsedTick)) oldest = entry;
      }
      if (!oldest) return;
      await this.remove(oldest);
      this.counters.numEvictionsTotal++;
    }
  }

  private async remove(entry: Entry): Promise<void> {
    this.entries.delete(entry.key);
    for (const hash of entry.blockHashes) this.byBlockHash.get(hash)?.delete(entry);
    this.counters.numBytesStored -= entry.numBytes;
    await unlink(entry.path).catch(() => {});
  }
}
