/**
 * The speculative-decoding flags: off by default; --draft-model turns on draft mode with
 * llama-server's default limits; --speculative ngram needs no draft model; contradictions and bad
 * values fail with one clear line; each flag also comes from the environment.
 */
import {afterEach, describe, expect, it} from "vitest";
import {parseConfig} from "../../server/config.ts";
import {parseFailure} from "../utils/parseFailure.ts";

const ENV_NAMES = ["INFLIGHT_DRAFT_MODEL", "INFLIGHT_SPECULATIVE", "INFLIGHT_DRAFT_MAX", "INFLIGHT_DRAFT_MIN", "INFLIGHT_DRAFT_P_MIN", "INFLIGHT_NO_DRAFT_ADAPTIVE"];

afterEach(() => {
  for (const name of ENV_NAMES) delete process.env[name];
});

describe("speculation flags", () => {
  it("leaves speculation off by default", () => {
    expect(parseConfig([]).engine.speculation).toBeUndefined();
  });

  it("turns on draft mode with the default limits when a draft model is given", () => {
    expect(parseConfig(["--draft-model", "synthetic:small-draft"]).engine.speculation).toEqual({
      mode: "draft", draftModel: "synthetic:small-draft", maxDraftTokens: 8, minDraftTokens: 0, minDraftProbability: 0, isAdaptive: true
    });
  });

  it("turns the adaptive rule off with --no-draft-adaptive", () => {
    expect(parseConfig(["--speculative", "ngram", "--no-draft-adaptive"]).engine.speculation?.isAdaptive).toBe(false);
  });

  it("takes --speculative draft with a draft model and the limits as given", () => {
    const config = parseConfig(["--speculative", "draft", "--draft-model", "d.gguf", "--draft-max", "16", "--draft-min", "2", "--draft-p-min", "0.75"]);
    expect(config.engine.speculation).toEqual({mode: "draft", draftModel: "d.gguf", maxDraftTokens: 16, minDraftTokens: 2, minDraftProbability: 0.75, isAdaptive: true});
  });

  it("runs prompt lookup with --speculative ngram and no draft model", () => {
    expect(parseConfig(["--speculative", "ngram", "--draft-max", "4"]).engine.speculation).toEqual({
      mode: "ngram", draftModel: undefined, maxDraftTokens: 4, minDraftTokens: 0, minDraftProbability: 0, isAdaptive: true
    });
  });

  it("ignores the limits while speculation is off", () => {
    expect(parseConfig(["--draft-max", "3"]).engine.speculation).toBeUndefined();
  });

  it("reads every flag from the environment", () => {
    Object.assign(process.env, {
      INFLIGHT_DRAFT_MODEL: "synthetic:tiny-draft", INFLIGHT_SPECULATIVE: "draft", INFLIGHT_DRAFT_MAX: "5", INFLIGHT_DRAFT_MIN: "1", INFLIGHT_DRAFT_P_MIN: "0.5", INFLIGHT_NO_DRAFT_ADAPTIVE: "1"
    });
    expect(parseConfig([]).engine.speculation).toEqual({
      mode: "draft", draftModel: "synthetic:tiny-draft", maxDraftTokens: 5, minDraftTokens: 1, minDraftProbability: 0.5, isAdaptive: false
    });
  });

  it("takes ngram from the environment", () => {
    process.env.INFLIGHT_SPECULATIVE = "ngram";
    expect(parseConfig([]).engine.speculation?.mode).toBe("ngram");
  });
});

describe("speculation flag errors", () => {
  it("refuses --speculative draft without a draft model", () => {
    expect(() => parseConfig(["--speculative", "draft"])).toThrow("--speculative draft needs --draft-model");
  });

  it("refuses --speculative ngram with a draft model", () => {
    expect(() => parseConfig(["--speculative", "ngram", "--draft-model", "synthetic:small-draft"])).toThrow("--speculative ngram uses no draft model");
  });

  it("refuses --draft-min greater than --draft-max", () => {
    expect(() => parseConfig(["--draft-model", "d.gguf", "--draft-max", "2", "--draft-min", "3"])).toThrow("--draft-min (3) is greater than --draft-max (2)");
  });


  it.each([
    [["--speculative", "eagle"], "eagle"],
    [["--draft-max", "0"], "expected an integer >= 1"],
    [["--draft-min", "-1"], "expected an integer >= 0"],
    [["--draft-p-min", "1.5"], "expected a number from 0 to 1"],
    [["--draft-p-min", "high"], "expected a number from 0 to 1"],
    [["--draft-p-min", ""], "expected a number from 0 to 1"]
  ])("refuses %j", (argv, message) => {
    expect(parseFailure(argv)).toContain(message);
  });

  it("refuses a bad value from the environment too", () => {
    process.env.INFLIGHT_DRAFT_P_MIN = "-0.1";
    expect(parseFailure([])).toContain("expected a number from 0 to 1");
  });
});
