// @ts-nocheck
import { DrainkitError } from "@drainkit/core";

/**
 * Why a SQLite operation failed, as a stable code:
 * - `store-busy`: another process held the write lock past `busyTimeoutMs` (retryable);
 * - `store-unavailable`: the file could not be opened, read or written (retryable);
 * - `store-corrupt`: the file is damaged or is not a drainkit database;
 * - `store-full`: the disk or the database is full (retryable once space is freed);
 * - `store-schema-newer`: a newer drainkit migrated this file;
 * - `store-closed`: the store was closed;
 * - `history-compacted`: a watch asked for changes older than the kept history;
 * - `leadership-lost`: the abort reason of a lost `Leadership` (lease expired or taken over);
 * - `store-error`: any other driver failure (a bug: report it).
 */
export type SqliteStoreErrorCode =
  | "store-busy"
  | "store-unavailable"
  | "store-corrupt"
  | "store-full"
  | "store-schema-newer"
  | "store-closed"
  | "history-compacted"
  | "leadership-lost"
  | "store-error";

const retryableCodes: ReadonlySet<SqliteStoreErrorCode> = new Set(["store-busy", "store-unavailable", "store-full"]);

/**
 * A typed failure of the SQLite store. `details.sqlite` carries the driver's
 * numeric result code when there was one.
 *
 * @example
 * try { await store.txn(req) } catch (e) {
 *   if (e instanceof SqliteStoreError && e.retryable) setTimeout(retry, 50);
 * }
 */
export class SqliteStoreError extends DrainkitError {
  declare readonly code: SqliteStoreErrorCode;
  constructor(code: SqliteStoreErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, { retryable: retryableCodes.has(code), ...options });
  }
}

// Primary result codes from https://sqlite.org/rescode.html (extended codes keep them in the low byte).
const SQLITE_PERM = 3;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_NOMEM = 7;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_PROTOCOL = 15;
const SQLITE_NOTADB = 26;

/**
 * Maps a node:sqlite error to a {@link SqliteStoreError}; errors that are
 * already typed pass through unchanged.
 */
export function classifySqliteError(error: unknown, path: string): Error {
  if (error instanceof DrainkitError) return error;
  const errcode = typeof (error as { errcode?: unknown })?.errcode === "number" ? (error as { errcode: number }).errcode : undefined;
  const text = error instanceof Error ? error.message : String(error);
  const details = { path, ...(errcode === undefined ? {} : { sqlite: errcode }) };
  const primary = errcode === undefined ? undefined : errcode & 0xff;
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:
      return new SqliteStoreError("store-busy", `SQLite database ${path} is locked by another writer (${text}); retry, or raise busyTimeoutMs if this persists.`, { cause: error, details });
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return new SqliteStoreError("store-corrupt", `SQLite database ${path} is damaged or not a drainkit database (${text}); restore it from a backup or point the store at another file.`, { cause: error, details });
    case SQLITE_FULL:
      return new SqliteStoreError("store-full", `SQLite database ${path} cannot grow (${text}); free disk space on the volume holding ${path} (or move it to a larger one), then retry.`, { cause: error, details });
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
      return new SqliteStoreError("store-unavailable", `SQLite database ${path} could not be read or written (${text}); check the path, its permissions and the disk, then retry.`, { cause: error, details });
    default:
      return new SqliteStoreError("store-error", `SQLite store ${path} failed unexpectedly (${text}); this is a drainkit bug, please report it with this message.`, { cause: error, details });
  }
}
