/**
 * A PostgreSQL server (`--database-url postgres://...`) through node-postgres (pure JavaScript), for
 * replicas that share batches: the same SQL as the embedded database, a small connection pool.
 */
import pg from "pg";
import type {SqlClient, SqlQueryable} from "./SqlClient.ts";

/** A few connections: claims, result writes and the API's reads each take one briefly. */
const POOL_SIZE = 4;

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "the configured database";
  }
}

export async function openPostgresDatabase(url: string): Promise<SqlClient> {
  const pool = new pg.Pool({connectionString: url, max: POOL_SIZE});
  // An idle connection the server dropped must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const client = await pool.connect();
  client.release();
  const queryable = (target: pg.Pool | pg.PoolClient): SqlQueryable => ({
    async query<Row extends object>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await target.query(sql, [...params])).rows as Row[];
    }
  });
  return {
    ...queryable(pool),
    isExclusive: false,
    description: withoutPassword(url),
    async transaction(work) {
      const connection = await pool.connect();
      try {
        await connection.query("BEGIN");
        const result = await work(queryable(connection));
        await connection.query("COMMIT");
        return result;
      } catch (error) {
        await connection.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        connection.release();
      }
    },
    async [Symbol.asyncDispose]() {
      await pool.end();
    }
  };
}
