/**
 * Batches across the cluster: three replicas on one PostgreSQL server (`--database-url`) behind the
 * real HAProxy. A batch uploaded and created through HAProxy is worked on by every replica, each
 * custom_id answered once, and its status, counts and output are the same whichever replica answers.
 * Needs Debian's haproxy and postgresql: skipped, saying why, without them, except under CI=true.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {LocalCluster} from "../../deploy/local/LocalCluster.ts";
import {BatchClient, chatLine} from "../batch/batchClient.ts";
import {scrape} from "../server/scrape.ts";
import {isHaproxySkipped, warnIfHaproxySkipped} from "../utils/haproxy.ts";
import {isCi, type PostgresServer, postgresBinDir, startPostgres} from "../utils/postgresServer.ts";

warnIfHaproxySkipped("cluster batch tests");
const isPostgresSkipped = postgresBinDir() === null && !isCi;
if (isPostgresSkipped) console.warn("cluster batch tests SKIPPED: no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)");

const NUM_LINES = 240;

describe.skipIf(isHaproxySkipped || isPostgresSkipped)("a batch through HAProxy, replicas on one PostgreSQL", () => {
  let postgres: PostgresServer;
  let cluster: LocalCluster;

  beforeAll(async () => {
    postgres = await startPostgres();
    cluster = await LocalCluster.start({
      numReplicas: 3,
      serverArgs: ["--model", "synthetic:tiny", "--threads", "1", "--parallel", "2", "--ctx-size", "256", "--log-level", "warn", "--database-url", postgres.url]
    });
  });

  afterAll(async () => {
    await cluster?.kill();
    await postgres?.[Symbol.asyncDispose]();
  });

  it("is worked on by every replica, and reads the same from each", async () => {
    const client = new BatchClient(cluster.url);
    const lines = Array.from({length: NUM_LINES}, (_, index) => chatLine(index, {max_tokens: 8}));
    const batch = await client.waitFor((await client.submit(lines)).id);
    expect(batch.status).toBe("completed");
    expect(batch.request_counts).toEqual({total: NUM_LINES, completed: NUM_LINES, failed: 0});

    const completed = await Promise.all(cluster.replicas.map(async (replica) => (await scrape(replica.url)).value("inflight:batch_requests_total", {status: "completed"})));
    for (const count of completed) expect(count).toBeGreaterThan(0);
    expect(completed.reduce((sum, count) => sum + count, 0)).toBe(NUM_LINES);

    const views = await Promise.all(cluster.replicas.map(async (replica) => {
      const direct = new BatchClient(replica.url);
      const seen = await direct.getBatch(batch.id);
      return {status: seen.status, counts: seen.request_counts, outputFileId: seen.output_file_id, output: await direct.fileText(seen.output_file_id)};
    }));
    for (const view of views) expect(view).toEqual(views[0]);
    const customIds = views[0]!.output.trim().split("\n").map((line) => (JSON.parse(line) as {custom_id: string}).custom_id);
    expect(customIds).toHaveLength(NUM_LINES);
    expect(new Set(customIds).size).toBe(NUM_LINES);
  }, 300_000);
});
