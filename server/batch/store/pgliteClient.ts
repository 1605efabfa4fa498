/**
 * The embedded database: PGlite (PostgreSQL compiled to WebAssembly, from the npm registry with no
 * native build or install script), persisted in `<data-dir>/db`. Every commit is written through to
 * the directory's files, so a process killed at any point loses no committed row; the next open
 * replays PostgreSQL's own write-ahead log. One process at a time (`dataDirLock.ts`).
 */
import {existsSync, mkdirSync} from "node:fs";
import {join} from "node:path";
import {PGlite} from "@electric-sql/pglite";
import {lockDataDir} from "./dataDirLock.ts";
import type {SqlClient, SqlQueryable} from "./SqlClient.ts";

const DATABASE_FOLDER = "db";

/** True when the data directory already holds a database (an earlier run created batches or files). */
export function hasEmbeddedDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, DATABASE_FOLDER, "PG_VERSION"));
}

export async function openEmbeddedDatabase(dataDir: string): Promise<SqlClient> {
  mkdirSync(dataDir, {recursive: true});
  const unlock = lockDataDir(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(join(dataDir, DATABASE_FOLDER));
  } catch (error) {
    unlock();
    throw error;
  }
  const queryable = (target: Pick<PGlite, "query">): SqlQueryable => ({
    async query<Row extends object>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await target.query<Row>(sql, [...params])).rows;
    }
  });
  return {
    ...queryable(db),
    isExclusive: true,
    description: join(dataDir, DATABASE_FOLDER),
    transaction: (work) => db.transaction((tx) => work(queryable(tx))),
    async [Symbol.asyncDispose]() {
      await db.close();
      unlock();
    }
  };
}
