/**
 * The Prometheus metrics this server exports: names, help texts, label sets and buckets, created in
 * a registry the caller owns. Names and meanings follow vLLM's (users already graph them), with our
 * prefix. Owns the catalogue only; `ServerMetrics.ts` feeds them from engine records and HTTP hooks.
 */
import {Counter, Gauge, Histogram, type Registry} from "prom-client";
import {REQUEST_LATENCY_BUCKETS_S, TOKEN_COUNT_BUCKETS, TOKEN_LATENCY_BUCKETS_S} from "./buckets.ts";

export const METRIC_PREFIX = "inflight:";

/** Every engine series carries these: the served model, and the variant (canary routing) that served it. */
export const MODEL_LABELS = ["model_name", "variant"] as const;

export type ModelLabels = Record<(typeof MODEL_LABELS)[number], string>;

export function defineMetrics(registry: Registry) {
  const registers = [registry];
  const histogram = (name: string, help: string, buckets: readonly number[]) =>
    new Histogram({name: METRIC_PREFIX + name, help, labelNames: MODEL_LABELS, buckets: [...buckets], registers});
  const counter = <Extra extends string = never>(name: string, help: string, extraLabels: readonly Extra[] = []) =>
    new Counter<(typeof MODEL_LABELS)[number] | Extra>({name: METRIC_PREFIX + name, help, labelNames: [...MODEL_LABELS, ...extraLabels], registers});
  const gauge = (name: string, help: string) => new Gauge({name: METRIC_PREFIX + name, help, labelNames: MODEL_LABELS, registers});
  return {
    timeToFirstToken: histogram("time_to_first_token_seconds",
      "Time from the request's arrival at the server (tokenization included) to its first output token.", REQUEST_LATENCY_BUCKETS_S),
    interTokenLatency: histogram("inter_token_latency_seconds",
      "Time between two consecutive output tokens of a request, one observation per token after the first.", TOKEN_LATENCY_BUCKETS_S),
    timePerOutputToken: histogram("request_time_per_output_token_seconds",
      "Per request: (end-to-end latency - time to first token) / (output tokens - 1); requests with 2+ tokens.", TOKEN_LATENCY_BUCKETS_S),
    e2eLatency: histogram("e2e_request_latency_seconds",
      "Time from the request's arrival to its end, whatever the finish reason.", REQUEST_LATENCY_BUCKETS_S),
    queueTime: histogram("request_queue_time_seconds",
      "Time from the request's arrival until it first ran in a decode step.", REQUEST_LATENCY_BUCKETS_S),
    prefillTime: histogram("request_prefill_time_seconds",
      "Time from the request's first decode step to its first token (the prefill, chunked or not).", REQUEST_LATENCY_BUCKETS_S),
    promptTokensPerRequest: histogram("request_prompt_tokens", "Prompt tokens per finished request.", TOKEN_COUNT_BUCKETS),
    generationTokensPerRequest: histogram("request_generation_tokens", "Output tokens per finished request.", TOKEN_COUNT_BUCKETS),

    numRunning: gauge("num_requests_running", "Requests placed in a sequence and decoding."),
    numWaiting: gauge("num_requests_waiting", "Requests queued for a sequence, including preempted ones waiting to resume."),
    kvCacheUsage: gauge("kv_cache_usage_perc", "Fraction (0-1) of the KV cache's blocks held by running requests."),

    promptTokens: counter("prompt_tokens_total", "Prompt tokens of finished requests (cached ones included, as usage.prompt_tokens)."),
    generationTokens: counter("generation_tokens_total", "Output tokens, counted at the step that produced them."),
    requestSuccess: counter("request_success_total", "Finished requests by finish reason (stop, length, abort, error, timeout).", ["finished_reason"]),
    preemptions: counter("num_preemptions_total", "Times a running request was paused to make room for another."),
    prefixCacheQueries: counter("prefix_cache_queries_total", "Tokens looked up in the prefix cache when requests were placed."),
    prefixCacheHits: counter("prefix_cache_hits_total", "Of the tokens looked up, those found cached and so not recomputed."),
    prefixCacheHostHits: counter("prefix_cache_host_hits_total", "Of the prefix cache hits, tokens restored from the host-memory tier (the rest were resident in a sequence)."),
    specDecodeDraftTokens: counter("spec_decode_num_draft_tokens_total", "Tokens proposed by speculative decoding."),
    specDecodeAcceptedTokens: counter("spec_decode_num_accepted_tokens_total", "Proposed tokens the target model accepted."),
    specDecodeDrafts: counter("spec_decode_num_drafts_total", "Drafts verified: one per request per step that proposed at least one token."),
    canaryRollbacks: counter("canary_rollbacks_total", "Times a canary variant was rolled back to weight 0 (guardrail breach or operator)."),
    shadowRequests: counter("shadow_requests_total",
      "Shadow copies by outcome: completed (output discarded), dropped (the shadow engine was busy) or failed.", ["outcome"]),
    cacheConfigInfo: new Gauge({
      name: `${METRIC_PREFIX}cache_config_info`,
      help: "Always 1; the KV cache's shape in labels, as vLLM's cache_config_info: block_size (tokens per block) and " +
        "num_gpu_blocks (blocks in all, wherever the cache lives). An endpoint picker sizes its prefix index by them.",
      labelNames: [...MODEL_LABELS, "block_size", "num_gpu_blocks"],
      registers
    }),
    variantTrafficShare: gauge("variant_traffic_share", "Fraction (0-1) of the model's routed traffic the variant is assigned now; 0 for shadows."),
    httpRequests: new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: "HTTP responses by route and status code; 499 when the client closed the connection first. " +
        "model_name and variant are empty for requests that resolved no model.",
      labelNames: [...MODEL_LABELS, "route", "status_code"],
      registers
    })
  };
}

export type MetricSet = ReturnType<typeof defineMetrics>;
