/**
 * The test harness itself: the end-of-generation check is safe (probed in a child process, so an
 * abort would fail this test instead of killing the runner), and the walker tells accepted,
 * rejected and incomplete documents apart on a hand-written grammar.
 */
import {execFile} from "node:child_process";
import {join} from "node:path";
import {promisify} from "node:util";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {GrammarHarness} from "./grammarHarness.ts";

const run = promisify(execFile);

describe("grammar harness", () => {
  let harness: GrammarHarness;
  beforeAll(async () => {
    harness = await GrammarHarness.load();
  });
  afterAll(async () => harness?.dispose());

  it("asks whether end-of-generation can be next without aborting, before and after completion", async () => {
    const script = join(import.meta.dirname, "eogProbe.script.ts");
    const {stdout} = await run(process.execPath, ["--import", "tsx", script], {cwd: join(import.meta.dirname, "../../..")});
    expect(JSON.parse(stdout)).toEqual({whenUnfinished: false, whenFinished: true});
  });

  it("tells accepted, rejected and incomplete documents apart", async () => {
    const grammar = `root ::= "[" [0-9]+ "]"\n`;
    expect(await harness.walk(grammar, "[123]")).toEqual({accepted: true, complete: true});
    expect(await harness.walk(grammar, "[12")).toEqual({accepted: true, complete: false});
    expect(await harness.walk(grammar, "[1a]")).toMatchObject({accepted: false, complete: false});
    expect(await harness.walk(grammar, "[1] ")).toMatchObject({accepted: false});
  });

  it("refuses to accept end-of-generation into a state", async () => {
    const state = await harness.state(`root ::= "x"\n`);
    expect(() => harness.accept(state, harness.eog)).toThrow(/end-of-generation/);
  });

  it("surfaces node-llama-cpp's parse failure for bad grammar text", async () => {
    await expect(harness.compile("root ::= missing-rule\n")).rejects.toThrow(/Failed to parse grammar/);
  });
});
