/**
 * A small least-recently-used cache, meant for compiled grammars keyed by `grammarCacheKey`:
 * converting and compiling a schema costs far more than a lookup, and clients send the same
 * `response_format` with every request. Generic over the value, so it holds node-llama-cpp
 * `LlamaGrammar` objects in the engine and plain strings in tests.
 */

/** Options of a {@link GrammarCache}. */
export interface GrammarCacheOptions<V> {
  /** Entries kept; the least recently used one goes first. */
  readonly maxEntries: number;
  /** Called for each entry pushed out (not for replaced or deleted ones). */
  readonly onEvict?: (key: string, value: V) => void;
}

/** A bounded map that forgets its least recently used entry first. */
export class GrammarCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly maxEntries: number;
  private readonly onEvict: ((key: string, value: V) => void) | undefined;

  constructor({maxEntries, onEvict}: GrammarCacheOptions<V>) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
    this.maxEntries = maxEntries;
    this.onEvict = onEvict;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The value for `key`, marking it most recently used. */
  get(key: string): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key)!;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const [oldestKey, oldestValue] = this.entries.entries().next().value as [string, V];
      this.entries.delete(oldestKey);
      this.onEvict?.(oldestKey, oldestValue);
    }
  }

  /** The cached value, or the one `create` makes (stored unless `create` throws). */
  getOrCreate(key: string, create: () => V): V {
    if (this.entries.has(key)) return this.get(key)!;
    const value = create();
    this.set(key, value);
    return value;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
