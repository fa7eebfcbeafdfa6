// The store's write path, on one DatabaseSync connection: run by the write
// worker (./writeWorker.ts) and, for ":memory:" files or `writer: "main"`, on
// the caller's thread. Only node builtins and plain data here: the worker
// loads this module as it is, without the workspace's packages.
import type { DatabaseSync, StatementSync } from "node:sqlite";

/** One compare-and-swap transaction; put values are already JSON text. */
export interface TxnWrite {
  readonly kind: "txn";
  readonly compare: readonly { readonly key: string; readonly version: number }[];
  readonly ops: readonly ({ readonly type: "put"; readonly key: string; readonly json: string } | { readonly type: "delete"; readonly key: string })[];
}

/** Every write the store makes: transactions, lease moves, compaction. `now` is the caller's clock. */
export type WriteRequest =
  | TxnWrite
  | { readonly kind: "take-lease"; readonly election: string; readonly candidate: string; readonly token: string; readonly now: number; readonly ttlMs: number }
  | { readonly kind: "renew-lease"; readonly election: string; readonly token: string; readonly now: number; readonly ttlMs: number }
  | { readonly kind: "drop-lease"; readonly election: string; readonly token: string }
  | { readonly kind: "compact"; readonly revision: number };

/** A driver failure as plain data (it crosses a thread): the caller classifies it. */
export interface WriteFailure {
  readonly message: string;
  readonly errcode?: number;
  readonly errstr?: string;
  readonly code?: string;
}

/** What a request returned: a TxnResult for `txn`, a boolean for lease moves, nothing for the rest. */
export type WriteReply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly failure: WriteFailure };

/** Turns a thrown driver error into a {@link WriteFailure}. */
export function failureOf(error: unknown): WriteFailure {
  const e = error as { message?: unknown; errcode?: unknown; errstr?: unknown; code?: unknown } | undefined;
  return {
    message: typeof e?.message === "string" ? e.message : String(error),
    ...(typeof e?.errcode === "number" ? { errcode: e.errcode } : {}),
    ...(typeof e?.errstr === "string" ? { errstr: e.errstr } : {}),
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
  };
}

const compactEvery = 1000;

/**
 * Prepares the write statements on `db` and returns the function that runs a
 * batch of writes in ONE `BEGIN IMMEDIATE` transaction (one fsync), each write
 * inside its own savepoint: a write that fails is undone alone and answered
 * with its failure, the others still commit. Writes run in order, each seeing
 * the ones before it, so compares stay exact. Every reply holds only once the
 * COMMIT returned; when it fails, every write of the batch fails with it.
 */
export function makeWriter(db: DatabaseSync, historyRevisions: number): (batch: readonly WriteRequest[]) => WriteReply[] {
  const stmt = {
    version: db.prepare("SELECT version FROM kv WHERE key = ?"),
    put: db.prepare("INSERT INTO kv (key, value, version) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version"),
    del: db.prepare("DELETE FROM kv WHERE key = ?"),
    change: db.prepare("INSERT INTO changes (revision, key, value, type) VALUES (?, ?, ?, ?)"),
    meta: db.prepare("SELECT value FROM meta WHERE name = ?"),
    setMeta: db.prepare("UPDATE meta SET value = ? WHERE name = ?"),
    dropHistory: db.prepare("DELETE FROM changes WHERE revision <= ?"),
    lease: db.prepare("SELECT candidate, token, expires_at FROM leases WHERE election = ?"),
    takeLease: db.prepare("INSERT INTO leases (election, candidate, token, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (election) DO UPDATE SET candidate = excluded.candidate, token = excluded.token, expires_at = excluded.expires_at"),
    renewLease: db.prepare("UPDATE leases SET expires_at = ? WHERE election = ? AND token = ? AND expires_at > ?"),
    dropLease: db.prepare("DELETE FROM leases WHERE election = ? AND token = ?"),
  } satisfies Record<string, StatementSync>;

  const metaValue = (name: string): number => (stmt.meta.get(name) as { value: number } | undefined)?.value ?? 0;

  const txn = (request: TxnWrite): unknown => {
    const current = metaValue("revision");
    const conflicts: string[] = [];
    for (const c of request.compare) {
      const row = stmt.version.get(c.key) as { version: number } | undefined;
      if ((row?.version ?? 0) !== c.version) conflicts.push(c.key);
    }
    if (conflicts.length > 0) return { ok: false, revision: current, conflicts };
    const revision = current + 1;
    let wrote = false;
    for (const op of request.ops) {
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
  };

  const apply = (request: WriteRequest): unknown => {
    switch (request.kind) {
      case "txn":
        return txn(request);
      case "take-lease": {
        const row = stmt.lease.get(request.election) as { token: string; expires_at: number } | undefined;
        if (row !== undefined && row.token !== request.token && row.expires_at > request.now) return false;
        stmt.takeLease.run(request.election, request.candidate, request.token, request.now + request.ttlMs);
        return true;
      }
      case "renew-lease":
        return stmt.renewLease.run(request.now + request.ttlMs, request.election, request.token, request.now).changes > 0;
      case "drop-lease":
        stmt.dropLease.run(request.election, request.token);
        return undefined;
      case "compact": {
        const target = Math.min(request.revision, metaValue("revision"));
        if (target > metaValue("compacted")) {
          stmt.dropHistory.run(target);
          stmt.setMeta.run(target, "compacted");
        }
        return undefined;
      }
    }
  };

  /** Runs `batch` from `start` in one transaction; returns how far it got (the rest goes in the next one). */
  const runFrom = (batch: readonly WriteRequest[], start: number, replies: WriteReply[]): number => {
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      for (let i = start; i < batch.length; i++) replies[i] = { ok: false, failure: failureOf(error) };
      return batch.length;
    }
    const single = batch.length - start === 1;
    let end = batch.length;
    for (let i = start; i < batch.length; i++) {
      try {
        if (!single) db.exec("SAVEPOINT w");
        replies[i] = { ok: true, value: apply(batch[i]!) };
        if (!single) db.exec("RELEASE w");
      } catch (error) {
        const failure = failureOf(error);
        if (!db.isTransaction) {
          // SQLite rolled the whole transaction back (I/O error, full disk):
          // the writes before this one are gone too; the rest start afresh.
          for (let j = start; j <= i; j++) replies[j] = { ok: false, failure };
          return i + 1;
        }
        if (single) {
          db.exec("ROLLBACK");
          replies[i] = { ok: false, failure };
          return batch.length;
        }
        db.exec("ROLLBACK TO w");
        db.exec("RELEASE w");
        replies[i] = { ok: false, failure };
      }
      end = i + 1;
    }
    try {
      db.exec("COMMIT");
    } catch (error) {
      const failure = failureOf(error);
      if (db.isTransaction) db.exec("ROLLBACK");
      for (let i = start; i < end; i++) if (replies[i]!.ok) replies[i] = { ok: false, failure };
    }
    return end;
  };

  return (batch) => {
    const replies = new Array<WriteReply>(batch.length);
    for (let start = 0; start < batch.length; ) start = runFrom(batch, start, replies);
    return replies;
  };
}
