/**
 * Replicas sharing one PostgreSQL server (`--database-url`): two servers finish one batch together,
 * each answering part of it and no custom_id twice; then one of them is killed with SIGKILL half-way
 * through another batch, and the survivor takes over its claims once their lease runs out, losing
 * nothing. Needs Debian's `postgresql`: skipped, saying why, without it, except under CI=true.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {freePort} from "../../bench/scenarios/serverProcess.ts";
import {scrape} from "../server/scrape.ts";
import {type PostgresServer, isCi, postgresBinDir, startPostgres} from "../utils/postgresServer.ts";
import {type ServerMainProcess, startServerMain, waitForReady} from "../utils/serverMainProcess.ts";
import {expectAnsweredOnce} from "./answeredOnce.ts";
import {BatchClient, chatLine} from "./batchClient.ts";

const hasPostgres = postgresBinDir() !== null;
const isSkipped = !hasPostgres && !isCi;
if (isSkipped) console.warn("replica batch tests SKIPPED: no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)");

const LEASE_TIMEOUT_S = 5;
const NUM_LINES = 300;

interface Replica {
  readonly process: ServerMainProcess;
  readonly url: string;
}

describe.skipIf(isSkipped)("replicas on one PostgreSQL server", () => {
  let postgres: PostgresServer;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    for (let index = 0; index < 2; index++) {
      const port = await freePort();
      const process = startServerMain(["--port", String(port), "--threads", "1", "--parallel", "2", "--ctx-size", "256",
        "--database-url", postgres.url, "--batch-lease-timeout", String(LEASE_TIMEOUT_S)]);
      replicas.push({process, url: `http://127.0.0.1:${port}`});
    }
    for (const replica of replicas) await waitForReady(replica.url);
  });

  afterAll(async () => {
    for (const {process} of replicas) if (process.child.exitCode === null) process.child.kill("SIGKILL");
    await Promise.all(replicas.map(({process}) => process.exited));
    await postgres?.[Symbol.asyncDispose]();
  });

  const completedBy = async (replica: Replica): Promise<number> => (await scrape(replica.url)).value("inflight:batch_requests_total", {status: "completed"});

  it("finish one batch together, each custom_id answered once", async () => {
    const [first, second] = replicas as [Replica, Replica];
    const lines = Array.from({length: NUM_LINES}, (_, index) => chatLine(index));
    const created = await new BatchClient(first.url).submit(lines);
    // Read back through the other replica: the store is shared.
    await expectAnsweredOnce(new BatchClient(second.url), created.id, NUM_LINES);
    const byFirst = await completedBy(first);
    const bySecond = await completedBy(second);
    expect(byFirst).toBeGreaterThan(0);
    expect(bySecond).toBeGreaterThan(0);
    expect(byFirst + bySecond).toBe(NUM_LINES);
  });

  it("lose nothing when one replica is killed half-way", async () => {
    const [survivor, victim] = replicas as [Replica, Replica];
    const client = new BatchClient(survivor.url);
    const victimBefore = await completedBy(victim);
    const lines = Array.from({length: NUM_LINES}, (_, index) => chatLine(index, {max_tokens: 8}));
    const created = await client.submit(lines);
    await client.waitFor(created.id, (batch) => batch.request_counts.completed >= NUM_LINES / 3);
    expect(await completedBy(victim)).toBeGreaterThan(victimBefore);
    victim.process.child.kill("SIGKILL");
    await victim.process.exited;
    await expectAnsweredOnce(client, created.id, NUM_LINES);
  });
});
