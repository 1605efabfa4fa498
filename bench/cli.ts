/**
 * `npm run bench -- [options]`: parses the command line, runs the load with a progress display,
 * prints the tables to stdout and writes the `--json` and `--chart` files. Ctrl-C stops the run
 * and still reports what was measured. Everything else lives in the library (`runLoad.ts`).
 * Exit codes: 0 done, 1 every request failed or the run broke, 2 bad arguments.
 */
import {mkdir, writeFile} from "node:fs/promises";
import {dirname} from "node:path";
import {CommanderError} from "commander";
import {parseBenchArgs, type CliArgs} from "./args.ts";
import {renderChartSvg} from "./chart.ts";
import {BenchConfigError} from "./config.ts";
import {JsonlDatasetError} from "./datasets/jsonlDataset.ts";
import {formatJsonReport} from "./jsonReport.ts";
import {createProgress} from "./progress.ts";
import {runLoad} from "./runLoad.ts";
import {renderTable} from "./table.ts";

async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof BenchConfigError) {
      process.stderr.write(`bench: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const controller = new AbortController();
  const onInterrupt = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write("\nstopping: finishing the report (Ctrl-C again to quit now)\n");
    controller.abort();
  };
  process.on("SIGINT", onInterrupt);
  const progress = createProgress(process.stderr, args.isQuiet);
  try {
    const report = await runLoad(args.config, {...progress.hooks, signal: controller.signal});
    progress.stop();
    process.stdout.write(renderTable(report));
    if (args.jsonPath !== undefined) await writeOutput(args.jsonPath, formatJsonReport(report));
    if (args.chartPath !== undefined) await writeOutput(args.chartPath, renderChartSvg(report));
    const completed = report.levels.flatMap((level) => level.servers).reduce((sum, figures) => sum + figures.completed, 0);
    return completed > 0 ? 0 : 1;
  } catch (error) {
    progress.stop();
    if (error instanceof BenchConfigError || error instanceof JsonlDatasetError) {
      process.stderr.write(`bench: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}

async function writeOutput(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), {recursive: true});
  await writeFile(path, text);
  process.stderr.write(`wrote ${path}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
);
