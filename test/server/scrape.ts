/**
 * Reads a server's /metrics the way Prometheus would, with a real text-format parser from npm
 * (parse-prometheus-text-format, ported from the official Python client's parser), and checks what
 * that parser leaves to the server: valid metric and label names, numeric values, a declared type for
 * every family. Lookups sum the series whose labels include the given ones.
 *
 * The parser folds the series of a labelled histogram into one and drops their _count and _sum (its
 * flattening only reads label-less ones), so values are read from a second parse of the same samples
 * without the metadata lines: each sample name is then its own family (`x_bucket`, `x_count`, ...),
 * the flat series Prometheus itself stores.
 */
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import {expect} from "vitest";
import {eventually} from "../utils/eventually.ts";

type Labels = Readonly<Record<string, string>>;
type Families = ReturnType<typeof parsePrometheusTextFormat>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan"). */
function number(text: string | undefined): number {
  if (text === undefined) throw new Error("missing value");
  const special = /^([+-]?)(inf|nan)$/i.exec(text);
  if (special) return special[2]!.toLowerCase() === "nan" ? Number.NaN : special[1] === "-" ? -Infinity : Infinity;
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value)) throw new Error(`not a number: ${text}`);
  return value;
}

function matches(labels: Labels | undefined, wanted: Labels): boolean {
  return Object.entries(wanted).every(([key, value]) => (labels ?? {})[key] === value);
}

export interface HistogramReading {
  readonly count: number;
  readonly sum: number;
  /** Cumulative count per upper bound, "+Inf" included. */
  readonly buckets: ReadonlyMap<string, number>;
}

export class Scrape {
  /** Declared type of each family, as the parser read it (COUNTER, GAUGE, HISTOGRAM, ...). */
  readonly types: ReadonlyMap<string, string>;
  /** Every sample by its exact name, histogram parts included. */
  private readonly series: ReadonlyMap<string, Families[number]["metrics"]>;

  constructor(readonly text: string) {
    const families = parsePrometheusTextFormat(text);
    for (const family of families) {
      if (!METRIC_NAME.test(family.name)) throw new Error(`invalid metric name ${family.name}`);
      if (family.type === "UNTYPED") throw new Error(`${family.name} has no # TYPE`);
    }
    this.types = new Map(families.map((family) => [family.name, family.type]));
    const samplesOnly = text.split("\n").filter((line) => !line.startsWith("#")).join("\n") + "\n";
    const flat = parsePrometheusTextFormat(samplesOnly);
    for (const family of flat) {
      for (const sample of family.metrics) {
        for (const name of Object.keys(sample.labels ?? {})) if (!LABEL_NAME.test(name)) throw new Error(`invalid label ${name} on ${family.name}`);
        number(sample.value);
      }
    }
    this.series = new Map(flat.map((family) => [family.name, family.metrics]));
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  /** Label names on the samples of a family, its histogram parts included (`le` on buckets). */
  labelNames(name: string): Set<string> {
    const names = new Set<string>();
    for (const part of [name, `${name}_bucket`, `${name}_sum`, `${name}_count`]) {
      for (const sample of this.series.get(part) ?? []) for (const label of Object.keys(sample.labels ?? {})) names.add(label);
    }
    return names;
  }

  private sum(name: string, labels: Labels): number {
    const samples = this.series.get(name);
    if (!samples) {
      // A labelled family with no series yet (nothing counted) exposes only its metadata.
      if (this.types.has(name.replace(/_(count|sum)$/, ""))) return 0;
      throw new Error(`no metric ${name}`);
    }
    return samples.filter((sample) => matches(sample.labels, labels)).reduce((total, sample) => total + number(sample.value), 0);
  }

  /** Sum of a counter's or gauge's series whose labels include `labels`. */
  value(name: string, labels: Labels = {}): number {
    expect(["COUNTER", "GAUGE"], name).toContain(this.types.get(name));
    return this.sum(name, labels);
  }

  /** A histogram's series whose labels include `labels`, added together. */
  histogram(name: string, labels: Labels = {}): HistogramReading {
    expect(this.types.get(name), name).toBe("HISTOGRAM");
    const buckets = new Map<string, number>();
    for (const sample of this.series.get(`${name}_bucket`) ?? []) {
      const {le, ...rest} = sample.labels ?? {};
      if (le !== undefined && matches(rest, labels)) buckets.set(le, (buckets.get(le) ?? 0) + number(sample.value));
    }
    return {count: this.sum(`${name}_count`, labels), sum: this.sum(`${name}_sum`, labels), buckets};
  }
}

export async function scrape(baseUrl: string): Promise<Scrape> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await response.text());
}

/** Scrapes until `isDone` holds (gauges and counters move as requests end, not when a client sees it), and returns that scrape. */
export function scrapeWhen(baseUrl: string, description: string, isDone: (metrics: Scrape) => boolean): Promise<Scrape> {
  return eventually(description, async () => {
    const metrics = await scrape(baseUrl);
    return isDone(metrics) && metrics;
  });
}
