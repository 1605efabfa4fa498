/**
 * The cache key and the cache: schemas that differ only in key order share a key and convert to the
 * same grammar; property order, content and the strict flag change the key; the LRU cache keeps the
 * most recently used grammars.
 */
import fc from "fast-check";
import {describe, expect, it} from "vitest";
import {canonicalSchemaText, GrammarCache, grammarCacheKey, jsonSchemaToGbnf} from "../../../engine/structured/index.ts";

const SCHEMA = {
  type: "object",
  properties: {
    name: {type: "string", description: "who", maxLength: 20},
    tags: {type: "array", items: {enum: ["a", {z: 1, y: 2}]}, minItems: 1},
    properties: {type: "object", properties: {b: {type: "integer"}, a: {type: "integer"}}, required: ["a"]}
  },
  required: ["name"],
  $defs: {Unused: {type: "null", title: "t"}}
};

/** The same schema with the keys of every object reordered, except inside `properties` maps. */
function shuffled(value: unknown, random: () => number, inPropertiesMap = false): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffled(item, random));
  if (typeof value !== "object" || value === null) return value;
  const keys = Object.keys(value);
  if (!inPropertiesMap) keys.sort(() => random() - 0.5);
  return Object.fromEntries(keys.map((key) => [key, shuffled((value as Record<string, unknown>)[key], random, !inPropertiesMap && key === "properties")]));
}

describe("grammarCacheKey", () => {
  it("is the same, and so is the grammar, whatever the order of schema keywords", () => {
    const key = grammarCacheKey(SCHEMA, {strict: true});
    const grammar = jsonSchemaToGbnf(SCHEMA, {strict: true}).grammar;
    fc.assert(fc.property(fc.integer(), (seed) => {
      let state = seed;
      const random = (): number => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 + 1) % 1;
      const other = shuffled(SCHEMA, random);
      expect(grammarCacheKey(other, {strict: true})).toBe(key);
      expect(jsonSchemaToGbnf(other, {strict: true}).grammar).toBe(grammar);
    }), {numRuns: 30, seed: 2});
  });

  it("changes with the order of properties, with content and with the strict flag", () => {
    const key = grammarCacheKey(SCHEMA, {strict: true});
    const reordered = {...SCHEMA, properties: {tags: SCHEMA.properties.tags, name: SCHEMA.properties.name, properties: SCHEMA.properties.properties}};
    expect(grammarCacheKey(reordered, {strict: true})).not.toBe(key);
    expect(grammarCacheKey({...SCHEMA, required: ["tags"]}, {strict: true})).not.toBe(key);
    expect(grammarCacheKey(SCHEMA, {strict: false})).not.toBe(key);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps a property literally named properties in order while sorting schema keywords", () => {
    const text = canonicalSchemaText({type: "object", properties: {properties: {type: "object", properties: {z: {}, a: {}}}}});
    expect(text).toBe('{"properties":{"properties":{"properties":{"z":{},"a":{}},"type":"object"}},"type":"object"}');
  });
});

describe("GrammarCache", () => {
  it("evicts the least recently used entry and reports it", () => {
    const evicted: string[] = [];
    const cache = new GrammarCache<string>({maxEntries: 2, onEvict: (key) => evicted.push(key)});
    cache.set("a", "A");
    cache.set("b", "B");
    expect(cache.get("a")).toBe("A");
    cache.set("c", "C");
    expect(evicted).toEqual(["b"]);
    expect([cache.has("a"), cache.has("b"), cache.has("c"), cache.size]).toEqual([true, false, true, 2]);
  });

  it("creates on a miss, reuses on a hit, and stores nothing when creation throws", () => {
    const cache = new GrammarCache<number>({maxEntries: 4});
    let made = 0;
    expect(cache.getOrCreate("k", () => ++made)).toBe(1);
    expect(cache.getOrCreate("k", () => ++made)).toBe(1);
    expect(() => cache.getOrCreate("bad", () => {
      throw new Error("no");
    })).toThrow("no");
    expect(cache.has("bad")).toBe(false);
    expect(cache.delete("k")).toBe(true);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it("refuses a capacity below one", () => {
    expect(() => new GrammarCache({maxEntries: 0})).toThrow(RangeError);
  });
});
