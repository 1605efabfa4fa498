/**
 * Files in the database: a row per file and its bytes in chunks of at most 1 MiB, so an upload is
 * written as it arrives and a download streams without holding the file in memory. A file becomes
 * visible only once all its chunks are written. Owns the files' rows; size and count limits are the
 * upload route's.
 */
import type {FilePurpose, StoredFile} from "../types.ts";
import {newFileId, nowSeconds} from "./ids.ts";
import type {SqlClient, SqlQueryable} from "./SqlClient.ts";

export const FILE_CHUNK_BYTES = 1024 * 1024;

interface FileRow {
  id: string;
  filename: string;
  purpose: FilePurpose;
  bytes: number;
  created_at: number;
}

const FILE_COLUMNS = "id, filename, purpose, bytes, created_at";

function toFile(row: FileRow): StoredFile {
  return {id: row.id, filename: row.filename, purpose: row.purpose, bytes: row.bytes, createdAt: row.created_at};
}

export interface FileListQuery {
  readonly purpose?: string;
  readonly after?: string;
  readonly limit: number;
  readonly order: "asc" | "desc";
}

/** Collects bytes into chunks of {@link FILE_CHUNK_BYTES} and writes each as it fills. */
export class ChunkWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;
  numBytes = 0;

  constructor(private readonly db: SqlQueryable, readonly fileId: string) {}

  async write(data: Buffer): Promise<void> {
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.numBytes += data.length;
    while (this.pendingBytes >= FILE_CHUNK_BYTES) {
      const all = Buffer.concat(this.pending);
      await this.writeChunk(all.subarray(0, FILE_CHUNK_BYTES));
      this.pending = [all.subarray(FILE_CHUNK_BYTES)];
      this.pendingBytes = all.length - FILE_CHUNK_BYTES;
    }
  }

  async end(): Promise<void> {
    if (this.pendingBytes > 0) await this.writeChunk(Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private async writeChunk(data: Buffer): Promise<void> {
    await this.db.query("INSERT INTO inflight_file_chunks (file_id, part, data) VALUES ($1, $2, $3)", [this.fileId, this.index++, data]);
  }
}

export class FileStore {
  constructor(private readonly db: SqlClient) {}

  /** Writes a file from `content`; nothing is visible if reading it fails or throws. */
  async create(filename: string, purpose: FilePurpose, content: AsyncIterable<Buffer>): Promise<StoredFile> {
    const writer = new ChunkWriter(this.db, newFileId());
    try {
      for await (const data of content) await writer.write(data);
      await writer.end();
      return await this.insertRow(this.db, writer, filename, purpose);
    } catch (error) {
      await this.db.query("DELETE FROM inflight_file_chunks WHERE file_id = $1", [writer.fileId]);
      throw error;
    }
  }

  /** Makes a file written by `writer` visible, inside the caller's transaction. */
  async insertRow(tx: SqlQueryable, writer: ChunkWriter, filename: string, purpose: FilePurpose): Promise<StoredFile> {
    const rows = await tx.query<FileRow>(
      `INSERT INTO inflight_files (id, filename, purpose, bytes, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${FILE_COLUMNS}`,
      [writer.fileId, filename, purpose, writer.numBytes, nowSeconds()]);
    return toFile(rows[0]!);
  }

  async get(id: string): Promise<StoredFile | null> {
    const rows = await this.db.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM inflight_files WHERE id = $1`, [id]);
    return rows[0] ? toFile(rows[0]) : null;
  }

  async count(): Promise<number> {
    const rows = await this.db.query<{n: number}>("SELECT count(*)::int AS n FROM inflight_files WHERE purpose = 'batch'");
    return rows[0]!.n;
  }

  /** A page of files, and whether more follow it. */
  async list(query: FileListQuery): Promise<{files: StoredFile[]; hasMore: boolean}> {
    const params: unknown[] = [query.limit + 1];
    const where: string[] = [];
    if (query.purpose !== undefined) where.push(`purpose = $${params.push(query.purpose)}`);
    const comparison = query.order === "asc" ? ">" : "<";
    if (query.after !== undefined) where.push(`seq ${comparison} (SELECT seq FROM inflight_files WHERE id = $${params.push(query.after)})`);
    const rows = await this.db.query<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM inflight_files ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY seq ${query.order === "asc" ? "ASC" : "DESC"} LIMIT $1`, params);
    return {files: rows.slice(0, query.limit).map(toFile), hasMore: rows.length > query.limit};
  }

  /** The file's bytes, chunk by chunk. */
  async *content(id: string): AsyncGenerator<Buffer> {
    for (let index = 0; ; index++) {
      const rows = await this.db.query<{data: Uint8Array}>("SELECT data FROM inflight_file_chunks WHERE file_id = $1 AND part = $2", [id, index]);
      if (rows.length === 0) return;
      yield Buffer.from(rows[0]!.data);
    }
  }

  /** Deletes the file; false when there was none. */
  async delete(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query("DELETE FROM inflight_files WHERE id = $1 RETURNING id", [id]);
      await tx.query("DELETE FROM inflight_file_chunks WHERE file_id = $1", [id]);
      return rows.length > 0;
    });
  }
}
