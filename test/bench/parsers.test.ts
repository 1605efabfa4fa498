/**
 * The bench's readers of server output: the SSE event parser, the chunk reader, and the Prometheus
 * text parser with its counter deltas.
 */
import {describe, expect, it} from "vitest";
import {counterDeltas, isCounterSample, parsePrometheusText, seriesKey} from "../../bench/promMetrics.ts";
import {parseChunk, readChunk} from "../../bench/transport/chunk.ts";
import {RequestFailure} from "../../bench/transport/RequestFailure.ts";
import {SseParser} from "../../bench/transport/SseParser.ts";

describe("SseParser", () => {
  it("splits events across arbitrary reads, with LF, CRLF and CR line ends", () => {
    const parser = new SseParser();
    expect(parser.push('data: {"a":1}\n')).toEqual([]);
    expect(parser.push("\ndata: x\r")).toEqual(['{"a":1}']);
    expect(parser.push("\n\r\ndata:y\r\rdata: [DONE]\n\n")).toEqual(["x", "y", "[DONE]"]);
  });

  it("joins multi-line data, skips comments and other fields, flushes a last event without a blank line", () => {
    const parser = new SseParser();
    expect(parser.push(": keep-alive\nevent: message\nid: 3\ndata: one\ndata:  two\n\n")).toEqual(["one\n two"]);
    expect(parser.push("data: tail")).toEqual([]);
    expect(parser.end()).toEqual(["tail"]);
    expect(parser.end()).toEqual([]);
  });
});

describe("chunk reader", () => {
  it("reads chat deltas, whole messages, completion text, usage, finish reasons and errors", () => {
    expect(parseChunk('{"choices":[{"delta":{"content":"hi"},"finish_reason":null}]}', "chat")).toEqual({content: "hi"});
    expect(readChunk({choices: [{delta: {role: "assistant", content: ""}}]}, "chat")).toEqual({});
    expect(readChunk({choices: [{message: {content: "whole"}, finish_reason: "stop"}]}, "chat")).toEqual({content: "whole", finishReason: "stop"});
    expect(readChunk({choices: [{text: "t"}]}, "completions")).toEqual({content: "t"});
    expect(readChunk({choices: [], usage: {prompt_tokens: 3, completion_tokens: 4}}, "chat")).toEqual({usage: {promptTokens: 3, completionTokens: 4}});
    expect(readChunk({error: {message: "boom"}}, "chat")).toEqual({error: "boom"});
  });

  it("rejects what is not a JSON object as malformed", () => {
    for (const text of ["{broken", "[1]", "42", "null"]) {
      let failure: unknown;
      try {
        parseChunk(text, "chat");
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(RequestFailure);
      expect((failure as RequestFailure).type).toBe("malformed");
    }
  });
});

describe("Prometheus text", () => {
  const before = parsePrometheusText(
    [
      "# HELP inflight:generation_tokens_total Tokens.",
      "# TYPE inflight:generation_tokens_total counter",
      'inflight:generation_tokens_total{model_name="m"} 100',
      "# TYPE inflight:num_requests_running gauge",
      "inflight:num_requests_running 4",
      "# TYPE inflight:e2e_request_latency_seconds histogram",
      'inflight:e2e_request_latency_seconds_bucket{le="+Inf"} 10',
      "inflight:e2e_request_latency_seconds_sum 5.5",
      "inflight:e2e_request_latency_seconds_count 10",
      "# TYPE reset_total counter",
      "reset_total 50",
      "untyped_total 1 1700000000000",
      "this is not a metric line",
      'weird{a="unterminated} 3'
    ].join("\n")
  );
  const after = parsePrometheusText(
    [
      "# TYPE inflight:generation_tokens_total counter",
      'inflight:generation_tokens_total{model_name="m"} 164',
      'inflight:generation_tokens_total{model_name="n"} 7',
      "# TYPE inflight:num_requests_running gauge",
      "inflight:num_requests_running 0",
      "# TYPE inflight:e2e_request_latency_seconds histogram",
      'inflight:e2e_request_latency_seconds_bucket{le="+Inf"} 14',
      "inflight:e2e_request_latency_seconds_sum 7.5",
      "inflight:e2e_request_latency_seconds_count 14",
      "# TYPE reset_total counter",
      "reset_total 3",
      "untyped_total 2.5"
    ].join("\n")
  );

  it("parses names with colons, escaped labels, special values and timestamps; skips bad lines", () => {
    const scrape = parsePrometheusText('a:b_total{path="/x\\"y\\\\z\\n",code="200"} +Inf 123\nnan_metric NaN\nneg -Inf\n');
    expect(scrape.samples.map((sample) => [sample.name, sample.labels, sample.value])).toEqual([
      ["a:b_total", {path: '/x"y\\z\n', code: "200"}, Infinity],
      ["nan_metric", {}, Number.NaN],
      ["neg", {}, -Infinity]
    ]);
    expect(seriesKey(scrape.samples[0] ?? {name: "", labels: {}})).toBe('a:b_total{code="200",path="/x\\"y\\\\z\\n"}');
    expect(before.samples).toHaveLength(7);
  });

  it("diffs counters, histogram sums and counts; not gauges or buckets; handles resets and new series", () => {
    expect(counterDeltas(before, after)).toEqual({
      'inflight:generation_tokens_total{model_name="m"}': 64,
      'inflight:generation_tokens_total{model_name="n"}': 7,
      "inflight:e2e_request_latency_seconds_sum": 2,
      "inflight:e2e_request_latency_seconds_count": 4,
      reset_total: 3,
      untyped_total: 1.5
    });
  });

  it("classifies counter samples by declared type, OpenMetrics family names included", () => {
    const types = new Map([["foo", "counter"], ["bar", "gauge"], ["h", "summary"]]);
    expect(isCounterSample("foo_total", types)).toBe(true);
    expect(isCounterSample("foo_created", types)).toBe(false);
    expect(isCounterSample("bar", types)).toBe(false);
    expect(isCounterSample("bar_total", types)).toBe(false);
    expect(isCounterSample("h_count", types)).toBe(true);
    expect(isCounterSample("h", types)).toBe(false);
    expect(isCounterSample("loose_total", types)).toBe(true);
  });
});
