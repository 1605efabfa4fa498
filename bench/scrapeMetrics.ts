/**
 * Fetches a server's Prometheus endpoint around each round. A server without one (404, refused,
 * not text) is normal: the scrape yields null and the report says so, it never fails the run.
 * Reading the text is `promMetrics.ts`'s job.
 */
import {parsePrometheusText, type PromScrape} from "./promMetrics.ts";
import type {TargetConfig} from "./types.ts";

/** A scrape that takes longer is given up: metrics must not hold up the bench. */
const SCRAPE_TIMEOUT_MS = 5_000;
const MAX_METRICS_BYTES = 16 * 1024 * 1024;

/** The parsed metrics of `target`, or null when it exposes none at `path`. */
export async function scrapeMetrics(target: TargetConfig, path: string): Promise<PromScrape | null> {
  try {
    const response = await fetch(`${target.url}${path}`, {
      headers: target.apiKey === undefined ? {} : {authorization: `Bearer ${target.apiKey}`},
      signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS)
    });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const text = await response.text();
    if (text.length > MAX_METRICS_BYTES) return null;
    const scrape = parsePrometheusText(text);
    return scrape.samples.length === 0 ? null : scrape;
  } catch {
    return null;
  }
}
