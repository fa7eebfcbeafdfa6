// @ts-nocheck
import type { DatabaseSync } from "node:sqlite";
import { SqliteStoreError } from "./errors.ts";

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many
 * ran. Append new steps, never edit a shipped one: files in the field are at
 * every earlier version.
 */
export const migrations: readonly string[] = [
  // 1: versioned keys, the change feed watches replay, the revision counter and
  // leases. `changes.id` orders entries inside one revision (a txn may write
  // several keys, all stamped with the same revision).
  `
  CREATE TABLE kv (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    version INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    revision INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    type TEXT NOT NULL CHECK (type IN ('put', 'delete'))
  );
  CREATE INDEX changes_by_revision ON changes (revision);
  CREATE TABLE meta (
    name TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
  CREATE TABLE leases (
    election TEXT PRIMARY KEY NOT NULL,
    candidate TEXT NOT NULL,
    token TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];

/** The schema version this build writes. */
export const schemaVersion = migrations.length;

function userVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number } | undefined;
  return row?.user_version ?? 0;
}

/**
 * Brings the file up to {@link schemaVersion}. Each step runs in its own
 * `BEGIN IMMEDIATE` transaction and re-reads the version inside it, so two
 * processes opening a fresh file at once migrate it exactly once.
 */
export function migrate(db: DatabaseSync, path: string): void {
  for (;;) {
    db.exec("BEGIN IMMEDIATE");
    try {
      const current = userVersion(db);
      if (current > schemaVersion) {
        throw new SqliteStoreError(
          "store-schema-newer",
          `SQLite database ${path} has schema version ${current}, newer than this drainkit understands (${schemaVersion}); upgrade drainkit.`,
          { details: { path, found: current, supported: schemaVersion } },
        );
      }
      if (current === schemaVersion) {
        db.exec("COMMIT");
        return;
      }
      db.exec(migrations[current]!);
      db.exec(`PRAGMA user_version = ${current + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
  }
}
