/**
 * How scenario scripts hand back what they measured: Markdown tables on stdout, ready to paste into
 * the docs, and every figure as JSON when `--json` names a file.
 */
import {writeFileSync} from "node:fs";

/** Prints a Markdown table's header row and separator. */
export function printTableHeader(columns: readonly string[]): void {
  console.log(`| ${columns.join(" | ")} |`);
  console.log(`|${columns.map(() => "---").join("|")}|`);
}

/** Writes `figures` as indented JSON to `path`, when a path was given. */
export function writeFiguresIfAsked(path: string | undefined, figures: unknown): void {
  if (path) writeFileSync(path, JSON.stringify(figures, null, 2));
}
