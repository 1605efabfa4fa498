/**
 * The command line: defaults, lists, units, SLO specs, negations, conflicts and errors, plus one
 * end-to-end run of the real CLI process against a fake server (table, --json, --chart, exit code).
 */
import {execFile} from "node:child_process";
import {mkdtemp, readFile, rm, writeFile} from "node:fs/promises";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {promisify} from "node:util";
import {CommanderError} from "commander";
import {describe, expect, it} from "vitest";
import {parseBenchArgs, parseSlo, type CliOutput} from "../../bench/args.ts";
import {BenchConfigError} from "../../bench/config.ts";
import {REDACTED} from "../../bench/jsonReport.ts";
import type {BenchReport} from "../../bench/types.ts";
import {startFakeServer} from "./fakeServer.ts";

const URL = ["--url", "http://127.0.0.1:9"];

function capture(): CliOutput & {text: () => string} {
  let text = "";
  return {writeOut: (part) => void (text += part), writeErr: (part) => void (text += part), text: () => text};
}

function parseError(argv: readonly string[]): CommanderError {
  try {
    parseBenchArgs(argv, capture());
  } catch (error) {
    if (error instanceof CommanderError) return error;
    throw error;
  }
  throw new Error("expected a CommanderError");
}

describe("parseBenchArgs", () => {
  it("fills every default", () => {
    const {config, jsonPath, chartPath, isQuiet} = parseBenchArgs(URL);
    expect(config).toEqual({
      // No --model: the run asks the server for its first model.
      target: {url: "http://127.0.0.1:9"},
      transport: "sse",
      endpoint: "chat",
      workload: {kind: "concurrency", levels: [1]},
      numRequests: 100,
      rounds: 1,
      warmupRequests: 1,
      dataset: {kind: "random", inputLen: 128, outputLen: 128, lenSpread: 0, systemLen: 256, turns: 4},
      isIgnoreEos: true,
      temperature: 0,
      seed: 0,
      tokenizer: "cl100k_base",
      timeoutMs: 300_000,
      isMetricsEnabled: true,
      metricsPath: "/metrics",
      isPerRequestKept: false
    });
    expect([jsonPath, chartPath, isQuiet]).toEqual([undefined, undefined, false]);
  });

  it("reads lists, units, SLOs, negations and outputs", () => {
    const {config, jsonPath, chartPath, isQuiet} = parseBenchArgs([
      ...URL,
      "--model", "llama",
      "--api-key", "secret",
      "--transport", "ws",
      "--concurrency", "1,4,8,16",
      "--num-requests", "50",
      "--duration", "2.5",
      "--dataset", "chat",
      "--input-len", "32",
      "--output-len", "64",
      "--len-spread", "0.25",
      "--system-len", "100",
      "--turns", "3",
      "--replay-replies",
      "--no-ignore-eos",
      "--temperature", "0.7",
      "--seed", "42",
      "--tokenizer", "o200k_base",
      "--slo", "ttft:500,tpot:50,e2e:9000",
      "--timeout", "5",
      "--no-metrics",
      "--json", "out/run.json",
      "--json-requests",
      "--chart", "out/run.svg",
      "--quiet"
    ]);
    expect(config.target).toEqual({url: "http://127.0.0.1:9", model: "llama", apiKey: "secret"});
    expect(config.transport).toBe("ws");
    expect(config.workload).toEqual({kind: "concurrency", levels: [1, 4, 8, 16]});
    expect(config.numRequests).toBe(50);
    expect(config.durationMs).toBe(2500);
    expect(config.dataset).toEqual({kind: "chat", inputLen: 32, outputLen: 64, lenSpread: 0.25, systemLen: 100, turns: 3, isReplyReplayed: true});
    expect(config.isIgnoreEos).toBe(false);
    expect(config.temperature).toBe(0.7);
    expect(config.seed).toBe(42);
    expect(config.tokenizer).toBe("o200k_base");
    expect(config.slo).toEqual({ttftMs: 500, tpotMs: 50, e2eMs: 9000});
    expect(config.timeoutMs).toBe(5000);
    expect(config.isMetricsEnabled).toBe(false);
    expect(config.isPerRequestKept).toBe(true);
    expect([jsonPath, chartPath, isQuiet]).toEqual(["out/run.json", "out/run.svg", true]);
  });

  it("reads --response-format from a JSON file, and refuses a file that holds none", async () => {
    const folder = await mkdtemp(join(tmpdir(), "bench-format-"));
    try {
      const schema = join(folder, "format.json");
      const broken = join(folder, "broken.json");
      await writeFile(schema, JSON.stringify({type: "json_object"}));
      await writeFile(broken, JSON.stringify([1, 2]));
      expect(parseBenchArgs([...URL, "--response-format", schema]).config.responseFormat).toEqual({type: "json_object"});
      expect(() => parseBenchArgs([...URL, "--response-format", broken])).toThrow(BenchConfigError);
      expect(() => parseBenchArgs([...URL, "--response-format", join(folder, "missing.json")])).toThrow(/cannot read/);
    } finally {
      await rm(folder, {recursive: true, force: true});
    }
  });

  it("reads request rates, inf included, and the duration-based request cap", () => {
    const {config} = parseBenchArgs([...URL, "--request-rate", "0.5,4,inf", "--duration", "60"]);
    expect(config.workload).toEqual({kind: "rate", levels: [0.5, 4, Infinity]});
    expect(config.durationMs).toBe(60_000);
    expect(config.numRequests).toBe(10_000);
  });

  it("sets up a comparison: second target inherits model and key, two rounds by default", () => {
    const {config} = parseBenchArgs([...URL, "--model", "m", "--api-key", "k", "--compare-url", "http://127.0.0.1:10/"]);
    expect(config.compare).toEqual({url: "http://127.0.0.1:10", model: "m", apiKey: "k"});
    expect(config.rounds).toBe(2);
    const other = parseBenchArgs([...URL, "--compare-url", "http://127.0.0.1:10", "--compare-model", "n", "--rounds", "3"]).config;
    expect(other.compare?.model).toBe("n");
    expect(other.rounds).toBe(3);
  });

  it("rejects bad values with commander errors", () => {
    expect(parseError([]).code).toBe("commander.missingMandatoryOptionValue");
    expect(parseError([...URL, "--transport", "grpc"]).code).toBe("commander.invalidArgument");
    expect(parseError([...URL, "--concurrency", "1,0"]).code).toBe("commander.invalidArgument");
    expect(parseError([...URL, "--concurrency", "2", "--request-rate", "3"]).code).toBe("commander.conflictingOption");
    expect(parseError([...URL, "--slo", "ttft=5"]).code).toBe("commander.invalidArgument");
    expect(parseError([...URL, "--timeout", "-1"]).code).toBe("commander.invalidArgument");
    expect(parseError([...URL, "--bogus"]).code).toBe("commander.unknownOption");
  });

  it("rejects inconsistent configurations with BenchConfigError", () => {
    expect(() => parseBenchArgs([...URL, "--transport", "ws", "--endpoint", "completions"])).toThrow(BenchConfigError);
    expect(() => parseBenchArgs([...URL, "--dataset", "jsonl"])).toThrow(/file/);
    expect(() => parseBenchArgs(["--url", "ftp://x"])).toThrow(/http/);
    expect(() => parseBenchArgs([...URL, "--len-spread", "1.5"])).toThrow(BenchConfigError);
  });

  it("prints help, with exit code 0", () => {
    const output = capture();
    let error: unknown;
    try {
      parseBenchArgs(["--help"], output);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).toBe(0);
    expect(output.text()).toMatch(/Usage: bench \[options\]/);
    expect(output.text()).toMatch(/--compare-url <url>/);
    expect(output.text()).toMatch(/--model <name>\s+model name sent in every request \(default: the\s+server's first model at GET\s+\/v1\/models\)/);
  });
});

describe("parseSlo", () => {
  it("reads ttft, tpot and e2e in ms and rejects the rest", () => {
    expect(parseSlo("ttft:250")).toEqual({ttftMs: 250});
    expect(parseSlo("tpot:20, e2e:1000")).toEqual({tpotMs: 20, e2eMs: 1000});
    expect(() => parseSlo("itl:5")).toThrow(/unknown SLO/);
    expect(() => parseSlo("ttft:0")).toThrow();
  });
});

describe("the CLI process", () => {
  it("runs, prints the tables and writes --json (key redacted) and --chart", async () => {
    const server = await startFakeServer({script: {ttftMs: 5, itlMs: 2, tokens: 4}});
    const dir = await mkdtemp(join(tmpdir(), "bench-cli-"));
    try {
      const {stdout} = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "bench/cli.ts", "--url", server.url, "--api-key", "s3cret", "--concurrency", "1,2", "--num-requests", "4",
          "--output-len", "4", "--json", join(dir, "r.json"), "--chart", join(dir, "r.svg"), "--quiet"],
        {cwd: join(import.meta.dirname, "../..")}
      );
      expect(stdout).toMatch(/Throughput/);
      expect(stdout).toMatch(/Latency, ms/);
      const json = await readFile(join(dir, "r.json"), "utf8");
      expect(json).not.toMatch(/s3cret/);
      const report = JSON.parse(json) as BenchReport;
      expect(report.config.target.apiKey).toBe(REDACTED);
      expect(report.levels.map((level) => level.servers[0]?.completed)).toEqual([4, 4]);
      expect(await readFile(join(dir, "r.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    } finally {
      await rm(dir, {recursive: true, force: true});
      await server.close();
    }
  });
});
