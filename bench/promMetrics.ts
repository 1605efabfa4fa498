/**
 * A small, forgiving reader of the Prometheus text exposition format (and the OpenMetrics subset
 * servers emit), plus the counter deltas the report shows. Lines it cannot read are skipped, not
 * fatal: a server's odd metric must not sink a bench run. Fetching `/metrics` is
 * `scrapeMetrics.ts`'s job.
 *
 * A counter's delta is `after - before`; a series new since `before` counts from 0, and one that went
 * down was reset, so its delta is its `after` value (Prometheus' `increase` does the same).
 */

/** One sample line: `name{label="value"} 12.5`. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample of one scrape and the declared type of each metric family. */
export interface PromScrape {
  readonly samples: readonly PromSample[];
  readonly types: ReadonlyMap<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const COUNTER_SUFFIXES = ["_total", "_count", "_sum", "_bucket", "_created"] as const;

/** Reads exposition text; malformed lines are ignored. */
export function parsePrometheusText(text: string): PromScrape {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (type?.[1] !== undefined && type[2] !== undefined) types.set(type[1], type[2].toLowerCase());
      continue;
    }
    const sample = parseSampleLine(line);
    if (sample !== undefined) samples.push(sample);
  }
  return {samples, types};
}

/** `name{a="1",b="2"}` with labels sorted, or the bare name: the identity of a series. */
export function seriesKey(sample: Pick<PromSample, "name" | "labels">): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(sample.labels[key])}`);
  return labels.length === 0 ? sample.name : `${sample.name}{${labels.join(",")}}`;
}

/**
 * Whether a sample only grows: counters (not their `_created` time), the `_count` and `_sum` of
 * histograms and summaries, and untyped samples named `*_total`.
 */
export function isCounterSample(name: string, types: ReadonlyMap<string, string>): boolean {
  const exact = types.get(name);
  if (exact === "counter") return !name.endsWith("_created");
  for (const suffix of COUNTER_SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const family = types.get(name.slice(0, -suffix.length));
    if (family === "counter") return suffix === "_total";
    if (family === "histogram" || family === "summary") return suffix === "_count" || suffix === "_sum";
    if (family !== undefined) return false;
  }
  return exact === undefined && name.endsWith("_total");
}

/** The increase of every counter series between two scrapes, keyed by `seriesKey`. */
export function counterDeltas(before: PromScrape, after: PromScrape): Record<string, number> {
  const previous = new Map(before.samples.map((sample) => [seriesKey(sample), sample.value]));
  const deltas: Record<string, number> = {};
  for (const sample of after.samples) {
    if (!isCounterSample(sample.name, after.types) || Number.isNaN(sample.value)) continue;
    const key = seriesKey(sample);
    const old = previous.get(key) ?? 0;
    deltas[key] = sample.value >= old ? sample.value - old : sample.value;
  }
  return deltas;
}

/** Adds `delta` into `total` series by series (summing rounds of one server). */
export function addDeltas(total: Record<string, number>, delta: Readonly<Record<string, number>>): void {
  for (const [key, value] of Object.entries(delta)) total[key] = (total[key] ?? 0) + value;
}

function parseSampleLine(line: string): PromSample | undefined {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return undefined;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    const end = parseLabels(rest, labels);
    if (end === -1) return undefined;
    rest = rest.slice(end);
  }
  const fields = rest.trim().split(/\s+/);
  const value = parseValue(fields[0] ?? "");
  return value === undefined ? undefined : {name, labels, value};
}

/** Fills `labels` from `{...}` at the start of `text`; returns the index after `}` or -1. */
function parseLabels(text: string, labels: Record<string, string>): number {
  let i = 1;
  for (;;) {
    while (text[i] === " " || text[i] === ",") i++;
    if (text[i] === "}") return i + 1;
    const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0];
    if (key === undefined) return -1;
    i += key.length;
    while (text[i] === " ") i++;
    if (text[i] !== "=") return -1;
    i++;
    while (text[i] === " ") i++;
    if (text[i] !== '"') return -1;
    i++;
    let value = "";
    for (;;) {
      const char = text[i];
      if (char === undefined) return -1;
      i++;
      if (char === '"') break;
      if (char === "\\") {
        const escaped = text[i];
        i++;
        value += escaped === "n" ? "\n" : (escaped ?? "");
      } else value += char;
    }
    labels[key] = value;
  }
}

function parseValue(text: string): number | undefined {
  switch (text) {
    case "+Inf":
    case "Inf":
      return Infinity;
    case "-Inf":
      return -Infinity;
    case "NaN":
      return Number.NaN;
  }
  if (text === "") return undefined;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}
