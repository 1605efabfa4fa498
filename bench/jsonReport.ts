/**
 * The `--json` form of a report: every figure and the exact configuration, with API keys redacted
 * (a results file gets shared; a key must not travel with it) and infinite rates written as the
 * string "Infinity" (JSON has no infinity and would write null). Writing the file is the caller's.
 */
import type {BenchReport} from "./types.ts";

/** Placeholder written instead of an API key. */
export const REDACTED = "<redacted>";

/** The report as pretty-printed JSON text, API keys redacted. */
export function formatJsonReport(report: BenchReport): string {
  return `${JSON.stringify(report, replacer, 2)}\n`;
}

function replacer(key: string, value: unknown): unknown {
  if (key === "apiKey" && typeof value === "string") return REDACTED;
  if (value === Infinity) return "Infinity";
  return value;
}
