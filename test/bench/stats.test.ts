/**
 * Percentiles and summaries (linear interpolation, numpy's default), figures from request results
 * (throughputs, goodput under SLOs), and the recorder that defines TTFT, ITL, TPOT and E2E.
 */
import {describe, expect, it} from "vitest";
import {computeServerFigures, meetsSlo} from "../../bench/figures.ts";
import {percentile, summarize} from "../../bench/stats.ts";
import {getTokenCounter} from "../../bench/tokenCounter.ts";
import {RequestRecorder} from "../../bench/transport/RequestRecorder.ts";
import type {RequestResult, RequestSpec} from "../../bench/types.ts";

describe("percentile", () => {
  it("interpolates linearly between closest ranks, like numpy.percentile", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 12);
    const hundred = Array.from({length: 100}, (_, i) => i + 1);
    expect(percentile(hundred, 0.99)).toBeCloseTo(99.01, 12);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([1, 3], 0)).toBe(1);
    expect(percentile([1, 3], 1)).toBe(3);
    expect(percentile([], 0.5)).toBeNaN();
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
  });

  it("summarizes unsorted samples, null when empty", () => {
    expect(summarize([4, 1, 3, 2])).toEqual({count: 4, mean: 2.5, median: 2.5, p90: 3.7, p99: 3.9699999999999998, min: 1, max: 4});
    expect(summarize([])).toBeNull();
  });
});

function result(overrides: Partial<RequestResult>): RequestResult {
  return {
    id: "r",
    isSuccess: true,
    startMs: 0,
    ttftMs: 100,
    e2eMs: 1000,
    itlMs: [],
    tpotMs: 10,
    outputTokens: 10,
    outputTokensSource: "usage",
    promptTokens: 20,
    promptTokensSource: "usage",
    contentChunks: 10,
    ...overrides
  };
}

describe("computeServerFigures", () => {
  it("computes throughputs over all rounds and latencies over successes only", () => {
    const figures = computeServerFigures({
      label: "A",
      url: "u",
      rounds: [
        {results: [result({}), result({isSuccess: false, failure: {type: "http_500", message: ""}, ttftMs: 1})], durationMs: 1500},
        {results: [result({ttftMs: 300, outputTokens: 30, contentChunks: 10}), result({isSuccess: false, failure: {type: "http_500", message: ""}})], durationMs: 500}
      ],
      slo: {ttftMs: 200},
      serverMetrics: {x: 1}
    });
    expect(figures.sent).toBe(4);
    expect(figures.completed).toBe(2);
    expect(figures.failuresByType).toEqual({http_500: 2});
    expect(figures.durationMs).toBe(2000);
    expect(figures.requestThroughput).toBe(1);
    expect(figures.outputTokenThroughput).toBe(20);
    expect(figures.totalTokenThroughput).toBe(40);
    expect(figures.meanTokensPerChunk).toBe(2);
    expect(figures.ttftMs?.count).toBe(2);
    expect(figures.ttftMs?.mean).toBe(200);
    // Goodput: one of four sent requests met the TTFT limit, over 2 s.
    expect(figures.goodput).toEqual({slo: {ttftMs: 200}, goodRequests: 1, requestsPerSecond: 0.5, fraction: 0.25});
    expect(figures.serverMetrics).toEqual({x: 1});
  });
});

describe("meetsSlo", () => {
  it("checks every limit given; a request without TPOT passes a TPOT limit", () => {
    expect(meetsSlo(result({}), {ttftMs: 100, tpotMs: 10, e2eMs: 1000})).toBe(true);
    expect(meetsSlo(result({ttftMs: 101}), {ttftMs: 100})).toBe(false);
    expect(meetsSlo(result({tpotMs: 11}), {tpotMs: 10})).toBe(false);
    expect(meetsSlo(result({e2eMs: 1001}), {e2eMs: 1000})).toBe(false);
    const {tpotMs: _, ...withoutTpot} = result({});
    expect(meetsSlo(withoutTpot, {tpotMs: 1})).toBe(true);
    expect(meetsSlo(result({isSuccess: false}), {})).toBe(false);
  });
});

describe("RequestRecorder", () => {
  const spec: RequestSpec = {id: "q", messages: [], maxTokens: 4, estimatedPromptTokens: 9, seed: 0};
  const counter = getTokenCounter("cl100k_base");

  it("ignores empty chunks for TTFT, records each chunk gap, and derives TPOT from usage tokens", () => {
    const recorder = new RequestRecorder(spec, counter, 0, true);
    recorder.start();
    const sentAt = performance.now();
    recorder.content("", sentAt + 5);
    recorder.content(" a b", sentAt + 50);
    recorder.content(" c", sentAt + 70);
    recorder.content(" d", sentAt + 100);
    recorder.usage({completionTokens: 4, promptTokens: 12});
    const done = recorder.finish(sentAt + 110);
    expect(done.ttftMs).toBeCloseTo(50, 0);
    expect(done.itlMs.map((gap) => Math.round(gap))).toEqual([20, 30]);
    expect(done.e2eMs).toBeCloseTo(110, 0);
    expect(done.tpotMs).toBeCloseTo((done.e2eMs - (done.ttftMs ?? 0)) / 3, 9);
    expect(done.contentChunks).toBe(3);
    expect([done.outputTokens, done.outputTokensSource, done.promptTokens, done.promptTokensSource]).toEqual([4, "usage", 12, "usage"]);
  });

  it("counts with the tokenizer without usage, and reports failures with what arrived", () => {
    const recorder = new RequestRecorder(spec, counter, 0, true);
    recorder.start();
    recorder.content(" the the", performance.now());
    const failed = recorder.fail("connection", "reset", performance.now());
    expect(failed.isSuccess).toBe(false);
    expect(failed.failure).toEqual({type: "connection", message: "reset"});
    expect([failed.outputTokens, failed.outputTokensSource, failed.promptTokens, failed.promptTokensSource]).toEqual([2, "tokenizer", 9, "tokenizer"]);
    // Special-token text in output counts as text instead of throwing.
    expect(counter.count("<|endoftext|>")).toBeGreaterThan(1);
  });
});
