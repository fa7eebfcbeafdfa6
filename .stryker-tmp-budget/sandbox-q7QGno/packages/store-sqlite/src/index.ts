/**
 * @drainkit/store-sqlite: the embedded default `RegistryStore` on
 * node:sqlite (WAL, `synchronous=FULL`, `BEGIN IMMEDIATE` writes, versioned
 * schema migrations).
 *
 * @example
 * import { makeSqliteStore } from "@drainkit/store-sqlite";
 * const store = makeSqliteStore({ path: "/var/lib/drainkit/registry.db" });
 */
// @ts-nocheck

export { makeSqliteStore, type SqliteStore, type SqliteStoreOptions } from "./makeSqliteStore.ts";
export { SqliteStoreError, classifySqliteError, type SqliteStoreErrorCode } from "./errors.ts";
export { schemaVersion } from "./schema.ts";
