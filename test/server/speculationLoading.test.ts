/**
 * One loader for `--model` and `--config`: speculative decoding set with flags for a single model
 * and the same settings as a one-variant variants file give servers that behave alike: both load the
 * draft model, both verify drafts (the metrics count drafted and accepted tokens), and both give the
 * same greedy output.
 */
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {freePort} from "../../bench/scenarios/serverProcess.ts";
import {startServerMain, waitForReady} from "../utils/serverMainProcess.ts";
import {Scrape} from "./scrape.ts";

const folder = mkdtempSync(join(tmpdir(), "inflight-spec-config-"));
afterAll(() => rmSync(folder, {recursive: true, force: true}));

const COMMON = ["--threads", "1", "--parallel", "2", "--ctx-size", "256", "--batch-size", "128"];

interface Served {
  readonly text: string;
  readonly numDraftTokens: number;
  readonly numAcceptedTokens: number;
  readonly log: string;
}

async function serveOnce(args: readonly string[]): Promise<Served> {
  const port = await freePort();
  const server = startServerMain([...COMMON, "--port", String(port), ...args]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForReady(url);
    const response = await fetch(`${url}/v1/completions`, {
      method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({model: "tiny", prompt: "The quick brown fox", max_tokens: 24, temperature: 0, ignore_eos: true})
    });
    const body = (await response.json()) as {choices: {text: string}[]};
    const metrics = new Scrape(await (await fetch(`${url}/metrics`)).text());
    const labels = {model_name: "tiny", variant: "default"};
    return {
      text: body.choices[0]!.text,
      numDraftTokens: metrics.value("inflight:spec_decode_num_draft_tokens_total", labels),
      numAcceptedTokens: metrics.value("inflight:spec_decode_num_accepted_tokens_total", labels),
      log: server.output()
    };
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
  }
}

describe("speculative decoding through --model flags and through a one-variant --config file", () => {
  it("drafts in both, with the same greedy output", async () => {
    const configPath = join(folder, "one.yaml");
    writeFileSync(configPath, `
models:
  tiny:
    variants:
      - {name: default, model: "synthetic:tiny", weight: 1, draft_model: "synthetic:tiny-draft", draft_max: 4, draft_adaptive: false}
`);
    const flags = await serveOnce(["--model", "synthetic:tiny", "--draft-model", "synthetic:tiny-draft", "--draft-max", "4", "--no-draft-adaptive"]);
    const file = await serveOnce(["--config", configPath]);
    for (const served of [flags, file]) {
      // Log lines are JSON: the model's name is in escaped quotes.
      expect(served.log).toMatch(/draft: (using cached|generated) synthetic model \\"tiny-draft\\"/);
      expect(served.log).toContain("speculative: draft model, up to 4 tokens always");
      expect(served.numDraftTokens).toBeGreaterThan(0);
      expect(served.numAcceptedTokens).toBeGreaterThan(0);
    }
    expect(file.text).toBe(flags.text);
    expect(file.numDraftTokens).toBe(flags.numDraftTokens);
  }, 120_000);
});
