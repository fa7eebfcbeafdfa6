import { randomUUID } from "node:crypto";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Clock, type TimerHandle, sleep, systemClock } from "@drainkit/core";
import type { Change, Leadership, ListOptions, ListResult, RegistryStore, TxnRequest, TxnResult, Versioned, WatchHandle } from "@drainkit/registry";
import { SqliteStoreError, classifySqliteError } from "./errors.ts";
import { migrate } from "./schema.ts";
import { WriteThread, errorOfFailure } from "./writeThread.ts";
import { makeWriter, type TxnWrite, type WriteRequest } from "./writes.ts";

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
  /**
   * Where transactions commit. `"worker"` (default for a file): on a
   * connection of their own in a worker thread, so the COMMIT's fsync does
   * not hold the caller's event loop, and transactions that arrive during a
   * commit share the next one; reads stay on the caller's connection (WAL).
   * `"main"`: on the caller's thread, one COMMIT per transaction, as before.
   * `":memory:"` always commits on the caller's thread.
   */
  readonly writer?: "worker" | "main";
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
  const writerOption = options.writer ?? "worker";
  if (writerOption !== "worker" && writerOption !== "main") throw new TypeError(`writer must be "worker" or "main", not ${String(writerOption)}`);
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));

  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${synchronous}`);
    migrate(db, path);
  } catch (error) {
    throw classifySqliteError(error, path);
  }

  // Reads (and lease moves, which run on the caller's clock) use this
  // connection. Outside list()'s short read transaction it holds no
  // transaction open, so every read starts a fresh snapshot and sees each
  // commit whose reply has come back, whichever connection made it.
  const stmt = {
    get: db.prepare("SELECT value, version FROM kv WHERE key = ?"),
    listAll: db.prepare("SELECT key, value, version FROM kv ORDER BY key"),
    listRange: db.prepare("SELECT key, value, version FROM kv WHERE key >= ? AND key < ? ORDER BY key"),
    // Pages of a listing (ListOptions): the primary key index makes each one read only its rows.
    listPageFrom: db.prepare("SELECT key, value, version FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?"),
    listPageAfter: db.prepare("SELECT key, value, version FROM kv WHERE key > ? AND key < ? ORDER BY key LIMIT ?"),
    meta: db.prepare("SELECT value FROM meta WHERE name = ?"),
    changesAll: db.prepare("SELECT revision, key, value, type FROM changes WHERE revision > ? AND revision <= ? ORDER BY id"),
    changesRange: db.prepare("SELECT revision, key, value, type FROM changes WHERE revision > ? AND revision <= ? AND key >= ? AND key < ? ORDER BY id"),
    lease: db.prepare("SELECT candidate, token, expires_at FROM leases WHERE election = ?"),
  } satisfies Record<string, StatementSync>;

  let writeHere: ReturnType<typeof makeWriter>;
  try {
    writeHere = makeWriter(db, historyRevisions);
  } catch (error) {
    db.close();
    throw classifySqliteError(error, path);
  }
  // A private in-memory database cannot be opened by a second connection.
  const thread = writerOption === "worker" && path !== ":memory:" ? new WriteThread({ path, synchronous, busyTimeoutMs, historyRevisions }) : undefined;

  let closed = false;
  let closing: Promise<void> | undefined;
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

  /**
   * One write on this thread's connection, committed before it returns: a
   * `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so no
   * reader-turned-writer deadlock can happen).
   */
  const writeNow = (request: WriteRequest): unknown => {
    ensureOpen();
    const reply = writeHere([request])[0]!;
    if (!reply.ok) throw errorOfFailure(reply.failure, path);
    return reply.value;
  };

  /** One write on the write thread when there is one, else here. */
  const write = async (request: WriteRequest): Promise<unknown> => {
    ensureOpen();
    return thread === undefined ? writeNow(request) : thread.submit(request);
  };

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
      ensureOpen();
      // Serialise before anything is sent: a value JSON cannot encode fails the call and writes nothing.
      const write_: TxnWrite = {
        kind: "txn",
        compare: request.compare.map((c) => ({ key: c.key, version: c.version })),
        ops: request.ops.map((op) => (op.type === "put" ? { type: "put", key: op.key, json: JSON.stringify(op.value) ?? "null" } : { type: "delete", key: op.key })),
      };
      const result = (await write(write_)) as TxnResult;
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
        const acquired = writeNow({ kind: "take-lease", election, candidate, token, now: clock.now(), ttlMs }) as boolean;
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
          const renewed = writeNow({ kind: "renew-lease", election, token, now, ttlMs }) as boolean;
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
          if (!closed) writeNow({ kind: "drop-lease", election, token });
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
      await write({ kind: "compact", revision });
    },

    close(): Promise<void> {
      closing ??= closeNow();
      return closing;
    },
  };

  const closeNow = async (): Promise<void> => {
    for (const h of [...held]) {
      loseLeadership(h, new SqliteStoreError("leadership-lost", `The store holding leadership of "${h.election}" was closed.`, { details: { election: h.election } }));
      // Hand the lease back so a successor need not wait for it to expire.
      try {
        writeNow({ kind: "drop-lease", election: h.election, token: h.token });
      } catch {
        // The lease then simply expires.
      }
    }
    if (pollTimer !== undefined) clock.clearTimer(pollTimer);
    pollTimer = undefined;
    watchers.clear();
    closed = true;
    // Every transaction already sent is answered before the thread ends.
    await thread?.close();
    db.close();
  };
  return store;
}
