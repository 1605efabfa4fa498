/**
 * What to serve, from the command line: `--model` is one served model with one variant named
 * "default", and a variants file's variants take the server's engine settings with their own fields
 * over them, speculation included.
 */
import {describe, expect, it} from "vitest";
import {parseConfig} from "../../server/config.ts";
import {parseVariantsFile} from "../../server/canary/variantConfig.ts";
import {servedModelSpecsOf, servedModelSpecsOfFile} from "../../server/models/servedModelSpecs.ts";

function fileOf(variants: object[]) {
  return parseVariantsFile({models: {chat: {variants}}}, "test.yaml", "/tmp");
}

describe("served model specs", () => {
  it("serves --model as one variant named default, with every engine flag", () => {
    const config = parseConfig(["--model", "synthetic:tiny", "--model-name", "demo", "--max-queue", "7", "--prefix-cache-mb", "3", "--speculative", "ngram"]);
    const [served, ...others] = servedModelSpecsOf(config);
    expect(others).toEqual([]);
    expect(served!.name).toBe("demo");
    expect(served!.variants.map((variant) => variant.name)).toEqual(["default"]);
    expect(served!.variants[0]!.settings).toMatchObject({maxQueueLength: 7, hostPrefixCacheBytes: 3 * 1024 * 1024, speculation: {mode: "ngram"}});
  });

  it("lays a variant's own fields over the flags, speculation included", () => {
    const flags = parseConfig(["--parallel", "3", "--draft-model", "synthetic:tiny-draft", "--draft-max", "5"]).engine;
    const [served] = servedModelSpecsOfFile(fileOf([
      {name: "a", model: "synthetic:tiny", weight: 1},
      {name: "b", model: "synthetic:tiny", weight: 1, parallel: 1, draft_max: 2, draft_adaptive: false},
      {name: "c", model: "synthetic:tiny", weight: 1, speculative: "off"},
      {name: "d", model: "synthetic:tiny", weight: 1, speculative: "ngram"}
    ]), flags);
    const settings = served!.variants.map((variant) => variant.settings);
    expect(settings[0]).toMatchObject({parallel: 3, speculation: {mode: "draft", draftModel: "synthetic:tiny-draft", maxDraftTokens: 5, isAdaptive: true}});
    expect(settings[1]).toMatchObject({parallel: 1, speculation: {mode: "draft", maxDraftTokens: 2, isAdaptive: false}});
    expect(settings[2]!.speculation).toBeUndefined();
    expect(settings[3]!.speculation).toMatchObject({mode: "ngram", draftModel: undefined, maxDraftTokens: 5});
  });

  it("turns speculation on for one variant with a draft model alone, off for the rest", () => {
    const [served] = servedModelSpecsOfFile(fileOf([
      {name: "plain", model: "synthetic:tiny", weight: 1},
      {name: "drafted", model: "synthetic:tiny", weight: 1, draft_model: "synthetic:tiny-draft"}
    ]), parseConfig([]).engine);
    expect(served!.variants[0]!.settings.speculation).toBeUndefined();
    expect(served!.variants[1]!.settings.speculation).toEqual({
      mode: "draft", draftModel: "synthetic:tiny-draft", maxDraftTokens: 8, minDraftTokens: 0, minDraftProbability: 0, isAdaptive: true
    });
  });

  it("names the variant's field in a contradiction", () => {
    const file = fileOf([{name: "a", model: "synthetic:tiny", weight: 1, speculative: "draft"}]);
    expect(() => servedModelSpecsOfFile(file, parseConfig([]).engine)).toThrow("models.chat.variants[0].speculative draft needs models.chat.variants[0].draft_model");
    const limits = fileOf([{name: "a", model: "synthetic:tiny", weight: 1, speculative: "ngram", draft_min: 4, draft_max: 2}]);
    expect(() => servedModelSpecsOfFile(limits, parseConfig([]).engine)).toThrow("models.chat.variants[0].draft_min (4) is greater than models.chat.variants[0].draft_max (2)");
  });
});
