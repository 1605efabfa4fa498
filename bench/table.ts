/**
 * The report as plain-text tables for the terminal: throughput and goodput per level and server,
 * latency statistics, B / A ratios in comparisons, then failures, requests re-sent on a fresh
 * connection, server-side metric deltas and notes. No colors or box drawing, so it reads the same in a log file. Figures only; no I/O.
 */
import type {BenchReport, FigureRatios, LatencyRatios, LatencySummary, LevelReport, ServerFigures} from "./types.ts";

/** The whole report as text, ending with a newline. */
export function renderTable(report: BenchReport): string {
  const levelName = report.levelKind === "concurrency" ? "conc" : "rate";
  const sections = [
    describeRun(report),
    "Throughput",
    table(
      [levelName, "server", "ok", "failed", "req/s", "out tok/s", "total tok/s", "goodput req/s"],
      report.levels.flatMap((level) => [...level.servers.map((figures) => throughputRow(level, figures)), ...ratioThroughputRow(level)])
    ),
    "Latency, ms: mean / p50 / p90 / p99 (percentiles interpolate linearly)",
    table(
      [levelName, "server", "TTFT", "TPOT", "ITL", "E2E"],
      report.levels.flatMap((level) => [...level.servers.map((figures) => latencyRow(level, figures)), ...ratioLatencyRow(level)])
    ),
    ...failureLines(report),
    ...retryLines(report),
    ...metricLines(report),
    ...(report.notes.length === 0 ? [] : ["Notes", ...report.notes.map((note) => `  - ${note}`)])
  ];
  return `${sections.join("\n")}\n`;
}

function describeRun(report: BenchReport): string {
  const {config} = report;
  const servers = [`A = ${config.target.url} (${config.target.model})`];
  if (config.compare !== undefined) servers.push(`B = ${config.compare.url} (${config.compare.model})`);
  const dataset = config.dataset;
  const lengths = `${dataset.inputLen} in / ${dataset.outputLen} out tokens${dataset.lenSpread > 0 ? ` ±${dataset.lenSpread * 100}%` : ""}`;
  return [
    servers.join(", "),
    `${config.transport} ${config.endpoint}, ${dataset.kind} dataset, ${lengths}, ${config.numRequests} requests x ${config.rounds} round(s), seed ${config.seed}`,
    ""
  ].join("\n");
}

function throughputRow(level: LevelReport, figures: ServerFigures): string[] {
  const goodput = figures.goodput === null ? "-" : `${fixed(figures.goodput.requestsPerSecond, 2)} (${fixed(figures.goodput.fraction * 100, 0)}%)`;
  return [
    levelText(level.level),
    figures.label,
    String(figures.completed),
    String(figures.failed),
    fixed(figures.requestThroughput, 2),
    fixed(figures.outputTokenThroughput, 1),
    fixed(figures.totalTokenThroughput, 1),
    goodput
  ];
}

function ratioThroughputRow(level: LevelReport): string[][] {
  const ratios = level.ratios;
  if (ratios === undefined) return [];
  return [
    [
      "",
      "B/A",
      "",
      "",
      ratioText(ratios.requestThroughput),
      ratioText(ratios.outputTokenThroughput),
      ratioText(ratios.totalTokenThroughput),
      ratioText(ratios.goodputRequestsPerSecond)
    ]
  ];
}

function latencyRow(level: LevelReport, figures: ServerFigures): string[] {
  return [levelText(level.level), figures.label, summary(figures.ttftMs), summary(figures.tpotMs), summary(figures.itlMs), summary(figures.e2eMs)];
}

function ratioLatencyRow(level: LevelReport): string[][] {
  const ratios: FigureRatios | undefined = level.ratios;
  if (ratios === undefined) return [];
  return [["", "B/A", ratioSummary(ratios.ttftMs), ratioSummary(ratios.tpotMs), ratioSummary(ratios.itlMs), ratioSummary(ratios.e2eMs)]];
}

function failureLines(report: BenchReport): string[] {
  const lines = report.levels.flatMap((level) =>
    level.servers
      .filter((figures) => figures.failed > 0)
      .map((figures) => {
        const types = Object.entries(figures.failuresByType).map(([type, count]) => `${type} x${count}`);
        return `  ${figures.label} at ${levelText(level.level)}: ${types.join(", ")}`;
      })
  );
  return lines.length === 0 ? [] : ["Failures", ...lines];
}

function retryLines(report: BenchReport): string[] {
  const lines = report.levels.flatMap((level) =>
    level.servers
      .filter((figures) => figures.numRetriedOnFreshConnection > 0)
      .map((figures) => `  ${figures.label} at ${levelText(level.level)}: ${figures.numRetriedOnFreshConnection} of ${figures.sent} requests`)
  );
  return lines.length === 0
    ? []
    : ["Re-sent on a fresh connection (the server closed a pooled keep-alive connection before answering)", ...lines];
}

function metricLines(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const level of report.levels) {
    for (const figures of level.servers) {
      const deltas = Object.entries(figures.serverMetrics ?? {}).filter(([, value]) => value !== 0);
      if (deltas.length === 0) continue;
      lines.push(`  ${figures.label} at ${levelText(level.level)}:`);
      for (const [key, value] of deltas.sort(([a], [b]) => a.localeCompare(b))) lines.push(`    ${key} +${trimNumber(value)}`);
    }
  }
  return lines.length === 0 ? [] : ["Server /metrics deltas (counters, summed over rounds)", ...lines];
}

/** Left-aligned text columns, right-aligned figures, two spaces apart. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line), ""].join("\n");
}

function summary(value: LatencySummary | null): string {
  if (value === null) return "-";
  return [value.mean, value.median, value.p90, value.p99].map((part) => fixed(part, 1)).join(" / ");
}

function ratioSummary(value: LatencyRatios): string {
  return [value.mean, value.median, value.p90, value.p99].map(ratioText).join(" / ");
}

function ratioText(value: number | null): string {
  return value === null ? "-" : `${fixed(value, 2)}x`;
}

function levelText(level: number): string {
  return level === Infinity ? "inf" : trimNumber(level);
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

function trimNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}
