import { randomUUID } from "node:crypto";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Clock, type TimerHandle, sleep, systemClock } from "@drainkit/core";
import type { Change, Leadership, ListOptions, ListResult, RegistryStore, TxnRequest, TxnResult, Versioned, WatchHandle } from "@drainkit/registry";
import { SqliteStoreError, classifySqliteError } from "./errors.ts";
import { migrate } from "./schema.ts";

/** Settings of {@link makeSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file, created when missing; `":memory:"` for a private in-memory store. */
  readonly path: string;
  /**
   * `FULL` (default) syncs the WAL on every commit, so an acknowledged
   * mutation survives a power cut; `NORMAL` survives a process crash but may
   * lose the last commits on power loss, for several times the write rate.
   */
  readonly synchronous?: "FULL" | "NORMAL";
  /** How long a write waits for another process's write lock before failing with `store-busy`. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** How often watches and campaigns look for writes made by other processes. Default 100. */
  readonly pollIntervalMs?: number;
  /** Revisions of change history kept for watches; older ones are compacted. Default 100000. */
  readonly historyRevisions?: number;
  /** Timers and lease expiry; defaults to the system clock. */
  readonly clock?: Clock;
}

/** A {@link RegistryStore} on one SQLite file. */
export interface SqliteStore extends RegistryStore {
  readonly kind: "sqlite";
  /** The database file the store writes to. */
  readonly path: string;
  /**
   * Drops change history up to and including `revision`; watches from an
   * older revision then fail with `history-compacted`.
   */
  compact(revision: number): Promise<void>;
}

interface Watcher {
  readonly prefix: string;
  readonly upper: string;
  last: number;
  readonly onChange: (change: Change) => void;
  readonly onError: ((error: Error) => void) | undefined;
}

interface Held {
  readonly election: string;
  readonly token: string;
  readonly controller: AbortController;
  timer: TimerHandle | undefined;
}

interface ChangeRow {
  revision: number;
  key: string;
  value: string | null;
  type: "put" | "delete";
}

// Every key that starts with the prefix sorts below prefix + U+10FFFF in
// SQLite's BINARY (UTF-8 byte) order, so the range can use the primary key.
const topCodePoint = String.fromCodePoint(0x10ffff);
const compactEvery = 1000;

/**
 * Opens (creating and migrating when needed) a SQLite-backed
 * {@link RegistryStore}: WAL journal, `synchronous=FULL` by default, every
 * write a `BEGIN IMMEDIATE` transaction, so several processes may share one
 * file. After a crash (even `kill -9`) every acknowledged transaction is
 * present and no partial one is.
 *
 * @example
 * import { makeSqliteStore } from "@drainkit/store-sqlite";
 * const store = makeSqliteStore({ path: "drainkit.db" });
 * const r = await store.txn({ compare: [{ key: "config", version: 0 }], ops: [{ type: "put", key: "config", value: {} }] });
 * console.log(r.ok, await store.get("config"));
 * await store.close();
 */
export function makeSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const path = options.path;
  const clock = options.clock ?? systemClock();
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const historyRevisions = options.historyRevisions ?? 100_000;
  const synchronous = options.synchronous ?? "FULL";
  if (synchronous !== "FULL" && synchronous !== "NORMAL") throw new TypeError(`synchronous must be "FULL" or "NORMAL", not ${String(synchronous)}`);

  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${synchronous}`);
    migrate(db, path);
  } catch (error) {
    throw classifySqliteError(error, path);
  }

  const stmt = {
    get: db.prepare("SELECT value, version FROM kv WHERE key = ?"),
    version: db.prepare("SELECT version FROM kv WHERE key = ?"),
    listAll: db.prepare("SELECT key, value, version FROM kv ORDER BY key"),
    listRange: db.prepare("SELECT key, value, version FROM kv WHERE key >= ? AND key < ? ORDER BY key"),
    // Pages of a listing (ListOptions): the primary key index makes each one read only its rows.
    listPageFrom: db.prepare("SELECT key, value, version FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?"),
    listPageAfter: db.prepare("SELECT key, value, version FROM kv WHERE key > ? AND key < ? ORDER BY key LIMIT ?"),
    put: db.prepare("INSERT INTO kv (key, value, version) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version"),
    del: db.prepare("DELETE FROM kv WHERE key = ?"),
    change: db.prepare("INSERT INTO changes (revision, key, value, type) VALUES (?, ?, ?, ?)"),
    meta: db.prepare("SELECT value FROM meta WHERE name = ?"),
    setMeta: db.prepare("UPDATE meta SET value = ? WHERE name = ?"),
    changesAll: db.prepare("SELECT revision, key, value, type FROM changes WHERE revision > ? AND revision <= ? ORDER BY id"),
    changesRange: db.prepare("SELECT revision, key, value, type FROM changes WHERE revision > ? AND revision <= ? AND key >= ? AND key < ? ORDER BY id"),
    dropHistory: db.prepare("DELETE FROM changes WHERE revision <= ?"),
    lease: db.prepare("SELECT candidate, token, expires_at FROM leases WHERE election = ?"),
    takeLease: db.prepare("INSERT INTO leases (election, candidate, token, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (election) DO UPDATE SET candidate = excluded.candidate, token = excluded.token, expires_at = excluded.expires_at"),
    renewLease: db.prepare("UPDATE leases SET expires_at = ? WHERE election = ? AND token = ? AND expires_at > ?"),
    dropLease: db.prepare("DELETE FROM leases WHERE election = ? AND token = ?"),
  } satisfies Record<string, StatementSync>;

  let closed = false;
  const watchers = new Set<Watcher>();
  const held = new Set<Held>();
  let pumpQueued = false;
  let pumping = false;
  let pollTimer: TimerHandle | undefined;

  const ensureOpen = (): void => {
    if (closed) throw new SqliteStoreError("store-closed", `SQLite store ${path} is closed; open a new one with makeSqliteStore.`, { details: { path } });
  };

  /** Runs `fn` against the open database, classifying driver failures. */
  const guard = <T>(fn: () => T): T => {
    ensureOpen();
    try {
      return fn();
    } catch (error) {
      throw classifySqliteError(error, path);
    }
  };

  const metaValue = (name: string): number => (stmt.meta.get(name) as { value: number } | undefined)?.value ?? 0;

  /** A `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so no reader-turned-writer deadlock can happen. */
  const writeTxn = <T>(fn: () => T): T =>
    guard(() => {
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = fn();
        db.exec("COMMIT");
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
    });

  const parse = (text: string): unknown => JSON.parse(text) as unknown;

  const schedulePump = (): void => {
    if (pumpQueued || closed) return;
    pumpQueued = true;
    queueMicrotask(() => {
      pumpQueued = false;
      pump();
    });
  };

  const deliver = (w: Watcher, change: Change): void => {
    try {
      w.onChange(change);
    } catch (error) {
      w.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  };

  /**
   * Replays every change a watcher has not seen yet, from the table (so writes
   * from other processes count too). Watchers at the same point of the same
   * prefix (every live one, usually) share one query and one parse: the same
   * change objects reach them all, so N watchers cost one read, not N.
   */
  const pump = (): void => {
    if (pumping || closed) return;
    pumping = true;
    try {
      let head: number;
      let compacted: number;
      try {
        // Read the head first: every change at or below it is already committed.
        head = guard(() => metaValue("revision"));
        compacted = guard(() => metaValue("compacted"));
      } catch (error) {
        for (const w of [...watchers]) w.onError?.(error as Error);
        return;
      }
      const groups = new Map<string, Watcher[]>();
      for (const w of watchers) {
        if (head <= w.last) continue;
        if (w.last < compacted) {
          watchers.delete(w);
          w.onError?.(
            new SqliteStoreError("history-compacted", `Changes after revision ${w.last} were compacted (history kept from ${compacted + 1}); reload with list() and watch from its revision.`, {
              details: { path, fromRevision: w.last, compacted },
            }),
          );
          continue;
        }
        const key = `${w.last}\u0000${w.prefix}`;
        const group = groups.get(key);
        if (group === undefined) groups.set(key, [w]);
        else group.push(w);
      }
      for (const group of groups.values()) {
        const { prefix, upper, last } = group[0]!;
        let changes: Change[];
        try {
          const rows = guard(() => (prefix === "" ? stmt.changesAll.all(last, head) : stmt.changesRange.all(last, head, prefix, upper)) as unknown as ChangeRow[]);
          changes = rows
            .filter((row) => row.key.startsWith(prefix))
            .map((row) => ({ revision: row.revision, key: row.key, value: row.value === null ? undefined : parse(row.value), type: row.type }));
        } catch (error) {
          for (const w of group) w.onError?.(error as Error);
          continue;
        }
        for (const w of group) {
          for (const change of changes) {
            if (!watchers.has(w)) break;
            w.last = change.revision;
            deliver(w, change);
          }
          if (watchers.has(w)) w.last = Math.max(w.last, head);
        }
      }
    } finally {
      pumping = false;
    }
  };

  const armPoll = (): void => {
    if (pollTimer !== undefined || closed || watchers.size === 0) return;
    pollTimer = clock.setTimer(pollIntervalMs, () => {
      pollTimer = undefined;
      pump();
      armPoll();
    });
  };

  const loseLeadership = (h: Held, reason: Error): void => {
    if (h.timer !== undefined) clock.clearTimer(h.timer);
    h.timer = undefined;
    held.delete(h);
    h.controller.abort(reason);
  };

  const store: SqliteStore = {
    kind: "sqlite",
    maxTxnOps: Number.POSITIVE_INFINITY,
    path,

    async get(key: string): Promise<Versioned | undefined> {
      return guard(() => {
        const row = stmt.get.get(key) as { value: string; version: number } | undefined;
        return row === undefined ? undefined : { key, value: parse(row.value), version: row.version };
      });
    },

    async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
      const { startAfter, limit } = options;
      const paged = startAfter !== undefined || limit !== undefined;
      // LIMIT -1 is SQLite's "no limit".
      const max = limit === undefined ? -1 : Math.max(1, Math.floor(limit));
      const upper = prefix === "" ? topCodePoint.repeat(8) : prefix + topCodePoint;
      return guard(() => {
        // One read transaction, so the items and the revision are one snapshot.
        db.exec("BEGIN");
        try {
          const rows = (
            paged
              ? startAfter !== undefined && startAfter >= prefix
                ? stmt.listPageAfter.all(startAfter, upper, max)
                : stmt.listPageFrom.all(prefix, upper, max)
              : prefix === ""
                ? stmt.listAll.all()
                : stmt.listRange.all(prefix, upper)
          ) as unknown as {
            key: string;
            value: string;
            version: number;
          }[];
          const revision = metaValue("revision");
          return {
            items: rows.filter((r) => r.key.startsWith(prefix)).map((r) => ({ key: r.key, value: parse(r.value), version: r.version })),
            revision,
          };
        } finally {
          db.exec("COMMIT");
        }
      });
    },

    async txn(request: TxnRequest): Promise<TxnResult> {
      // Serialise before taking the lock: a value JSON cannot encode fails the call and writes nothing.
      const ops = request.ops.map((op) => (op.type === "put" ? { ...op, json: JSON.stringify(op.value) ?? "null" } : { ...op, json: null }));
      const result = writeTxn((): TxnResult => {
        const current = metaValue("revision");
        const conflicts: string[] = [];
        for (const c of request.compare) {
          const row = stmt.version.get(c.key) as { version: number } | undefined;
          if ((row?.version ?? 0) !== c.version) conflicts.push(c.key);
        }
        if (conflicts.length > 0) return { ok: false, revision: current, conflicts };
        const revision = current + 1;
        let wrote = false;
        for (const op of ops) {
          if (op.type === "put") {
            stmt.put.run(op.key, op.json, revision);
            stmt.change.run(revision, op.key, op.json, "put");
            wrote = true;
          } else if (stmt.del.run(op.key).changes > 0) {
            stmt.change.run(revision, op.key, null, "delete");
            wrote = true;
          }
        }
        // Like etcd, a transaction that changes nothing does not move the revision.
        if (!wrote) return { ok: true, revision: current };
        stmt.setMeta.run(revision, "revision");
        if (revision % compactEvery === 0 && revision > historyRevisions) {
          stmt.dropHistory.run(revision - historyRevisions);
          stmt.setMeta.run(revision - historyRevisions, "compacted");
        }
        return { ok: true, revision };
      });
      if (result.ok) schedulePump();
      return result;
    },

    async revision(): Promise<number> {
      return guard(() => metaValue("revision"));
    },

    watch(prefix: string, fromRevision: number, onChange: (change: Change) => void, onError?: (error: Error) => void): WatchHandle {
      ensureOpen();
      const w: Watcher = { prefix, upper: prefix + topCodePoint, last: Math.max(0, fromRevision), onChange, onError };
      watchers.add(w);
      schedulePump();
      armPoll();
      return {
        close: () => {
          watchers.delete(w);
          if (watchers.size === 0 && pollTimer !== undefined) {
            clock.clearTimer(pollTimer);
            pollTimer = undefined;
          }
        },
      };
    },

    async campaign(election: string, candidate: string, campaignOptions: { ttlMs: number; signal?: AbortSignal }): Promise<Leadership> {
      const { ttlMs, signal } = campaignOptions;
      if (!(ttlMs > 0)) throw new TypeError(`ttlMs must be positive, not ${ttlMs}`);
      const token = randomUUID();
      for (;;) {
        signal?.throwIfAborted();
        const acquired = writeTxn(() => {
          const now = clock.now();
          const row = stmt.lease.get(election) as { token: string; expires_at: number } | undefined;
          if (row !== undefined && row.token !== token && row.expires_at > now) return false;
          stmt.takeLease.run(election, candidate, token, now + ttlMs);
          return true;
        });
        if (acquired) break;
        await sleep(clock, Math.min(pollIntervalMs, ttlMs), signal);
      }
      const h: Held = { election, token, controller: new AbortController(), timer: undefined };
      held.add(h);
      let expiresAt = clock.now() + ttlMs;
      const renew = (): void => {
        h.timer = undefined;
        if (closed || !held.has(h)) return;
        const now = clock.now();
        try {
          const renewed = writeTxn(() => stmt.renewLease.run(now + ttlMs, election, token, now).changes > 0);
          if (!renewed) {
            loseLeadership(h, new SqliteStoreError("leadership-lost", `Leadership of "${election}" expired or was taken over; campaign again.`, { details: { election, candidate } }));
            return;
          }
          expiresAt = now + ttlMs;
        } catch (error) {
          // A busy file is worth another try, unless the lease could expire
          // (and pass to someone else) before the next one.
          if (now + ttlMs / 3 >= expiresAt) {
            loseLeadership(h, new SqliteStoreError("leadership-lost", `Leadership of "${election}" could not be renewed before it expired; campaign again.`, { cause: error, details: { election, candidate } }));
            return;
          }
        }
        h.timer = clock.setTimer(ttlMs / 3, renew);
      };
      h.timer = clock.setTimer(ttlMs / 3, renew);
      return {
        signal: h.controller.signal,
        candidate,
        resign: async () => {
          if (!held.has(h)) return;
          loseLeadership(h, new SqliteStoreError("leadership-lost", `Resigned leadership of "${election}".`, { details: { election, candidate, resigned: true } }));
          if (!closed) writeTxn(() => stmt.dropLease.run(election, token));
        },
      };
    },

    async leader(election: string): Promise<string | undefined> {
      return guard(() => {
        const row = stmt.lease.get(election) as { candidate: string; expires_at: number } | undefined;
        return row !== undefined && row.expires_at > clock.now() ? row.candidate : undefined;
      });
    },

    async ping(): Promise<boolean> {
      if (closed) return false;
      try {
        db.prepare("SELECT 1").get();
        return true;
      } catch {
        return false;
      }
    },

    async compact(revision: number): Promise<void> {
      writeTxn(() => {
        const target = Math.min(revision, metaValue("revision"));
        if (target <= metaValue("compacted")) return;
        stmt.dropHistory.run(target);
        stmt.setMeta.run(target, "compacted");
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      for (const h of [...held]) {
        loseLeadership(h, new SqliteStoreError("leadership-lost", `The store holding leadership of "${h.election}" was closed.`, { details: { election: h.election } }));
        // Hand the lease back so a successor need not wait for it to expire.
        try {
          writeTxn(() => stmt.dropLease.run(h.election, h.token));
        } catch {
          // The lease then simply expires.
        }
      }
      if (pollTimer !== undefined) clock.clearTimer(pollTimer);
      pollTimer = undefined;
      watchers.clear();
      closed = true;
      db.close();
    },
  };
  return store;
}
