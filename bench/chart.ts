/**
 * The report as a self-contained SVG: output-token throughput, TTFT and TPOT percentiles against
 * concurrency (or request rate), one colour per server, one dash pattern per percentile, with
 * axes, tick labels, units, a legend and the run's configuration in the title, so the file reads
 * without the tool. Levels are spaced evenly (1, 4, 8, 16 are categories, not a linear scale).
 * Hand-written SVG; only text, no I/O.
 */
import type {BenchReport, LatencySummary, ServerFigures} from "./types.ts";

const PANEL_WIDTH = 340;
const PANEL_HEIGHT = 260;
const MARGIN = {top: 34, right: 16, bottom: 46, left: 62};
const HEADER_HEIGHT = 86;
const COLORS = {A: "#1f77b4", B: "#d62728"} as const;
const PERCENTILES = [
  {key: "median", label: "p50", dash: ""},
  {key: "p90", label: "p90", dash: "7 4"},
  {key: "p99", label: "p99", dash: "2 3"}
] as const;

interface Series {
  readonly label: "A" | "B";
  readonly dash: string;
  readonly name: string;
  readonly values: readonly (number | null)[];
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly Series[];
}

/** The SVG document of `report`. */
export function renderChartSvg(report: BenchReport): string {
  const labels = serverLabels(report);
  const figuresOf = (label: "A" | "B"): (ServerFigures | undefined)[] =>
    report.levels.map((level) => level.servers.find((figures) => figures.label === label));
  const latency = (pick: (figures: ServerFigures) => LatencySummary | null): Series[] =>
    labels.flatMap((label) =>
      PERCENTILES.map((percentile) => ({
        label,
        dash: percentile.dash,
        name: `${label} ${percentile.label}`,
        values: figuresOf(label).map((figures) => {
          const summary = figures === undefined ? null : pick(figures);
          return summary === null ? null : summary[percentile.key];
        })
      }))
    );
  const panels: Panel[] = [
    {
      title: "Output token throughput",
      unit: "tokens/s",
      series: labels.map((label) => ({label, dash: "", name: label, values: figuresOf(label).map((figures) => figures?.outputTokenThroughput ?? null)}))
    },
    {title: "Time to first token", unit: "ms", series: latency((figures) => figures.ttftMs)},
    {title: "Time per output token", unit: "ms", series: latency((figures) => figures.tpotMs)}
  ];
  const xLabel = report.levelKind === "concurrency" ? "concurrency (requests in flight)" : "request rate (requests/s, Poisson)";
  const levels = report.levels.map((level) => (level.level === Infinity ? "inf" : String(level.level)));
  const width = PANEL_WIDTH * panels.length;
  const height = HEADER_HEIGHT + PANEL_HEIGHT;
  const body = panels.map((panel, index) => renderPanel(panel, levels, xLabel, index * PANEL_WIDTH, HEADER_HEIGHT));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...renderHeader(report, labels),
    ...body,
    "</svg>",
    ""
  ].join("\n");
}

function serverLabels(report: BenchReport): ("A" | "B")[] {
  return report.config.compare === undefined ? ["A"] : ["A", "B"];
}

function renderHeader(report: BenchReport, labels: readonly ("A" | "B")[]): string[] {
  const {config} = report;
  const dataset = config.dataset;
  const subtitle =
    `${config.transport} ${config.endpoint}, ${dataset.kind} dataset, ${dataset.inputLen} in / ${dataset.outputLen} out tokens, ` +
    `${config.numRequests} requests x ${config.rounds} round(s), seed ${config.seed}, ${report.startedAt}`;
  const parts = [
    `<text x="12" y="20" font-size="15" font-weight="bold">inflight bench</text>`,
    `<text x="12" y="38">${escapeXml(subtitle)}</text>`
  ];
  let x = 12;
  for (const label of labels) {
    const target = label === "A" ? config.target : config.compare;
    const text = `${label}: ${target?.url ?? ""} (${target?.model ?? ""})`;
    parts.push(`<line x1="${x}" y1="58" x2="${x + 24}" y2="58" stroke="${COLORS[label]}" stroke-width="2.5"/>`);
    parts.push(`<text x="${x + 30}" y="62">${escapeXml(text)}</text>`);
    x += 40 + text.length * 6.2;
  }
  let px = 12;
  for (const percentile of PERCENTILES) {
    parts.push(`<line x1="${px}" y1="76" x2="${px + 24}" y2="76" stroke="#444" stroke-width="2"${dashAttr(percentile.dash)}/>`);
    parts.push(`<text x="${px + 30}" y="80">${percentile.label} (latency panels)</text>`);
    px += 150;
  }
  return parts;
}

function renderPanel(panel: Panel, levels: readonly string[], xLabel: string, originX: number, originY: number): string {
  const plotWidth = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const left = originX + MARGIN.left;
  const top = originY + MARGIN.top;
  const bottom = top + plotHeight;
  const values = panel.series.flatMap((series) => series.values.filter((value): value is number => value !== null && Number.isFinite(value)));
  const {max, step} = niceScale(Math.max(0, ...values));
  // Half a step of room on each side keeps the end points off the axes.
  const x = (index: number): number => left + ((index + 0.5) * plotWidth) / levels.length;
  const y = (value: number): number => bottom - (value / max) * plotHeight;
  const parts: string[] = [
    `<g>`,
    `<text x="${left + plotWidth / 2}" y="${originY + 18}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`
  ];
  const ticks = Math.round(max / step);
  for (let i = 0; i <= ticks; i++) {
    const tick = i * step;
    parts.push(`<line x1="${left}" y1="${y(tick)}" x2="${left + plotWidth}" y2="${y(tick)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  parts.push(`<line x1="${left}" y1="${bottom}" x2="${left + plotWidth}" y2="${bottom}" stroke="black"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="black"/>`);
  levels.forEach((level, index) => {
    parts.push(`<line x1="${x(index)}" y1="${bottom}" x2="${x(index)}" y2="${bottom + 4}" stroke="black"/>`);
    parts.push(`<text x="${x(index)}" y="${bottom + 16}" text-anchor="middle">${escapeXml(level)}</text>`);
  });
  parts.push(`<text x="${left + plotWidth / 2}" y="${bottom + 36}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  const unitX = originX + 14;
  const unitY = top + plotHeight / 2;
  parts.push(`<text x="${unitX}" y="${unitY}" text-anchor="middle" transform="rotate(-90 ${unitX} ${unitY})">${escapeXml(panel.unit)}</text>`);
  for (const series of panel.series) parts.push(...renderSeries(series, x, y));
  parts.push(`</g>`);
  return parts.join("\n");
}

function renderSeries(series: Series, x: (index: number) => number, y: (value: number) => number): string[] {
  const color = COLORS[series.label];
  const parts: string[] = [];
  // A missing value (no successful request) breaks the line rather than dropping to zero.
  let run: string[] = [];
  const flush = (): void => {
    if (run.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dashAttr(series.dash)} points="${run.join(" ")}"/>`);
    run = [];
  };
  series.values.forEach((value, index) => {
    if (value === null || !Number.isFinite(value)) {
      flush();
      return;
    }
    run.push(`${round(x(index))},${round(y(value))}`);
    parts.push(
      `<circle cx="${round(x(index))}" cy="${round(y(value))}" r="3" fill="${color}"><title>${escapeXml(series.name)}: ${formatTick(value)}</title></circle>`
    );
  });
  flush();
  return parts;
}

/** An axis maximum and tick step of 1, 2 or 5 times a power of ten, about five ticks. */
export function niceScale(maxValue: number): {max: number; step: number} {
  if (!(maxValue > 0)) return {max: 1, step: 0.2};
  const rough = maxValue / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power;
  return {max: Math.ceil(maxValue / step) * step, step};
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

function dashAttr(dash: string): string {
  return dash === "" ? "" : ` stroke-dasharray="${dash}"`;
}

function formatTick(value: number): string {
  if (value >= 1000) return `${Number((value / 1000).toFixed(2))}k`;
  return String(Number(value.toFixed(2)));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
