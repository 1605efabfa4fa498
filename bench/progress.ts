/**
 * Progress display for the CLI, fed by `runLoad`'s hooks: a live cli-progress bar on stderr when it
 * is a terminal, one line per finished round when it is not (a log file), nothing with `--quiet`.
 * stdout stays reserved for the report.
 */
import cliProgress from "cli-progress";
import type {RoundInfo, RunHooks} from "./runLoad.ts";
import type {RoundRecord} from "./types.ts";

/** Hooks that show progress, and `stop` to clear the bar on the way out. */
export interface ProgressDisplay {
  readonly hooks: Omit<RunHooks, "signal">;
  stop(): void;
}

/** Chooses the display for `stream`: a bar on a TTY, round lines otherwise, nothing when quiet. */
export function createProgress(stream: NodeJS.WriteStream, isQuiet: boolean): ProgressDisplay {
  if (isQuiet) return {hooks: {}, stop: () => undefined};
  const roundLine = (record: RoundRecord, info: RoundInfo): string =>
    `${info.label} ${info.url} level ${levelText(info.level)} round ${info.round + 1}: ` +
    `${record.completed}/${record.sent} ok in ${(record.durationMs / 1000).toFixed(1)} s\n`;
  if (stream.isTTY !== true) {
    return {hooks: {onRoundEnd: (record, info) => void stream.write(roundLine(record, info))}, stop: () => undefined};
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "{label} level {level} round {round} [{bar}] {value}/{total} | failed {failed} | {elapsed}s",
      hideCursor: true,
      clearOnComplete: true
    },
    cliProgress.Presets.shades_classic
  );
  let failed = 0;
  let startedAtMs = 0;
  let isActive = false;
  return {
    hooks: {
      onRoundStart(info) {
        failed = 0;
        startedAtMs = performance.now();
        isActive = true;
        bar.start(info.total, 0, {label: info.label, level: levelText(info.level), round: info.round + 1, failed, elapsed: "0.0"});
      },
      onResult(result) {
        if (!result.isSuccess) failed++;
        bar.increment(1, {failed, elapsed: ((performance.now() - startedAtMs) / 1000).toFixed(1)});
      },
      onRoundEnd(record, info) {
        bar.stop();
        isActive = false;
        stream.write(roundLine(record, info));
      }
    },
    stop() {
      if (isActive) bar.stop();
    }
  };
}

function levelText(level: number): string {
  return level === Infinity ? "inf" : String(level);
}
