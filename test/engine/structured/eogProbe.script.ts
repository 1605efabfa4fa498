/**
 * Run in a child process by walker.test.ts: checks that asking whether end-of-generation can be the
 * next token is safe on an unfinished and on a finished grammar state (accepting EOG into an
 * unfinished one aborts the process, so this must never be that). Prints the two answers as JSON.
 */
import {GrammarHarness} from "./grammarHarness.ts";

const harness = await GrammarHarness.load();
const grammar = `root ::= "{" "}"\n`;
const state = await harness.state(grammar);
const whenUnfinished = harness.canBeNext(state, harness.eog);
for (const token of harness.model.tokenize("{}")) harness.accept(state, token);
const whenFinished = harness.canBeNext(state, harness.eog);
await harness.dispose();
process.stdout.write(JSON.stringify({whenUnfinished, whenFinished}));
