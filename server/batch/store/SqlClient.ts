/**
 * The one interface the batch store speaks to its database through, so the same SQL runs on the
 * embedded PGlite (`pgliteClient.ts`) and on a PostgreSQL server (`postgresClient.ts`). Parameters are
 * positional (`$1`); integer counts are cast to `int` and times stored as `double precision` so both
 * drivers return plain numbers.
 */

export interface SqlQueryable {
  query<Row extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface SqlClient extends SqlQueryable, AsyncDisposable {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /**
   * True when this process is the database's only user (the embedded database, held by a lock file):
   * claims left by earlier processes are dead at once, with no lease to wait for.
   */
  readonly isExclusive: boolean;
  /** Where the data lives, for the start-up log (a directory, or the server without its password). */
  readonly description: string;
}
