/** The observability flags: metrics on unless --no-metrics, prompts logged only with --log-prompts, each also from the environment. */
import {afterEach, expect, it} from "vitest";
import {parseConfig} from "../../server/config.ts";

afterEach(() => {
  delete process.env.INFLIGHT_NO_METRICS;
  delete process.env.INFLIGHT_LOG_PROMPTS;
});

it("exports metrics and keeps prompts out of the logs by default", () => {
  expect(parseConfig([])).toMatchObject({isMetricsEnabled: true, isPromptLogged: false});
});

it("turns metrics off and prompt logging on by flag", () => {
  expect(parseConfig(["--no-metrics", "--log-prompts"])).toMatchObject({isMetricsEnabled: false, isPromptLogged: true});
});

it("reads both from the environment", () => {
  process.env.INFLIGHT_NO_METRICS = "1";
  process.env.INFLIGHT_LOG_PROMPTS = "1";
  expect(parseConfig([])).toMatchObject({isMetricsEnabled: false, isPromptLogged: true});
});
