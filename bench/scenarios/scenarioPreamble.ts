/**
 * What every scenario script starts with: its command line, declared from one catalogue of the
 * options the scenarios share (one flag, one default wording), the model file its `--model` names,
 * and the arguments that start our server for a scenario. A scenario names the shared options it
 * takes, with its own defaults and, where its meaning is narrower, its own help, and lists the
 * options only it has.
 */
import {cpus} from "node:os";
import {join} from "node:path";
import {Command, type OptionValues} from "commander";
import {resolveModelSource} from "../../engine/model/resolveModelSource.ts";
import type {TargetConfig} from "../types.ts";

/** The repository root, where scenarios run child processes. */
export const ROOT = join(import.meta.dirname, "..", "..");

/** The name scenarios serve their model under and send as `model`. */
export const SERVED_MODEL_NAME = "bench";

interface SharedOption {
  readonly flags: string;
  readonly help: string;
  readonly defaultValue?: string;
}

const SHARED_OPTIONS = {
  model: {flags: "--model <model>", help: "GGUF path or synthetic:NAME", defaultValue: "synthetic:small"},
  threads: {flags: "--threads <n>", help: "llama.cpp threads", defaultValue: String(Math.min(2, cpus().length))},
  rounds: {flags: "--rounds <n>", help: "rounds per server (alternating)"},
  concurrency: {flags: "--concurrency <n>", help: "requests in flight"},
  inputLen: {flags: "--input-len <n>", help: "prompt tokens"},
  outputLen: {flags: "--output-len <n>", help: "tokens per request"},
  json: {flags: "--json <file>", help: "write every figure here"}
} as const satisfies Record<string, SharedOption>;

/** The options scenarios share. */
export type SharedOptionName = keyof typeof SHARED_OPTIONS;

/**
 * How a scenario takes a shared option: as catalogued (`true`), with its own default (a string), with
 * its own default and help, or not at all (`false`: for `--model`, which every scenario has unless told).
 */
export type SharedOptionChoice = boolean | string | {readonly default?: string; readonly help?: string};

/** An option only one scenario has: commander's flags, help and default. */
export type ScenarioOption = readonly [flags: string, help: string, defaultValue?: string];

/** A scenario's parsed command line and the GGUF file its `--model` names. */
export interface ScenarioSetup {
  readonly options: OptionValues;
  /** Resolved on first read, so a scenario that does not use its `--model` never generates it. */
  readonly modelPath: string;
}

/**
 * Parses the command line of scenario `name`: `--model`, the chosen shared options in the order
 * given, then the scenario's own; `--help` prints them all and exits. The model is resolved (a
 * synthetic one generated) when the scenario first reads `modelPath`.
 */
export function parseScenarioOptions(
  name: string,
  shared: Partial<Record<SharedOptionName, SharedOptionChoice>>,
  own: readonly ScenarioOption[] = []
): ScenarioSetup {
  const command = new Command(name);
  const choices: Partial<Record<SharedOptionName, SharedOptionChoice>> = {model: true, ...shared};
  for (const [key, choice] of Object.entries(choices)) {
    const option: SharedOption = SHARED_OPTIONS[key as SharedOptionName];
    if (choice === false) continue;
    if (choice === true) command.option(option.flags, option.help, option.defaultValue);
    else if (typeof choice === "string") command.option(option.flags, option.help, choice);
    else command.option(option.flags, choice.help ?? option.help, choice.default ?? option.defaultValue);
  }
  for (const [flags, help, defaultValue] of own) command.option(flags, help, defaultValue);
  const options = command.parse().opts();
  let modelPath: string | undefined;
  return {
    options,
    get modelPath(): string {
      if (options["model"] === undefined) throw new Error(`${name} takes no --model`);
      return (modelPath ??= resolveModelSource(String(options["model"])).path);
    }
  };
}

/** How a scenario starts our server: model file, sequences decoded together, threads, context size. */
export interface ServedModelSettings {
  readonly modelPath: string;
  readonly parallel: number | string;
  readonly threads: number | string;
  readonly ctxSize: number;
}

/** Arguments that start our server on `modelPath`, serving it as `SERVED_MODEL_NAME`. */
export function servedModelArgs(settings: ServedModelSettings): string[] {
  return [
    "--model", settings.modelPath, "--model-name", SERVED_MODEL_NAME, "--parallel", String(settings.parallel),
    "--threads", String(settings.threads), "--ctx-size", String(settings.ctxSize)
  ];
}

/** The bench's target for a server a scenario started. */
export function servedTarget(server: {readonly url: string}): TargetConfig {
  return {url: server.url, model: SERVED_MODEL_NAME};
}
