import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "@drainkit/core/testing";
import type { Change } from "@drainkit/registry";
import { makeSqliteStore, schemaVersion, type SqliteStore } from "../src/index.ts";

const dirs: string[] = [];
const stores: SqliteStore[] = [];

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "drainkit-sqlite-"));
  dirs.push(dir);
  return join(dir, "registry.db");
}

function open(path = tempPath(), extra: Partial<Parameters<typeof makeSqliteStore>[0]> = {}): SqliteStore {
  const store = makeSqliteStore({ path, pollIntervalMs: 10, ...extra });
  stores.push(store);
  return store;
}

function collect(store: SqliteStore, prefix: string, from: number): { changes: Change[]; errors: Error[]; close(): void } {
  const changes: Change[] = [];
  const errors: Error[] = [];
  const handle = store.watch(prefix, from, (c) => changes.push(c), (e) => errors.push(e));
  return { changes, errors, close: () => handle.close() };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("makeSqliteStore", () => {
  it("stores JSON values with the revision of their last write as version", async () => {
    const store = open();
    expect(await store.revision()).toBe(0);
    const first = await store.txn({ compare: [{ key: "peers/a", version: 0 }], ops: [{ type: "put", key: "peers/a", value: { n: 1, tags: ["x"] } }] });
    expect(first).toEqual({ ok: true, revision: 1 });
    const second = await store.txn({ compare: [], ops: [{ type: "put", key: "peers/b", value: "b" }, { type: "put", key: "config", value: null }] });
    expect(second).toEqual({ ok: true, revision: 2 });
    expect(await store.get("peers/a")).toEqual({ key: "peers/a", value: { n: 1, tags: ["x"] }, version: 1 });
    expect(await store.get("peers/b")).toEqual({ key: "peers/b", value: "b", version: 2 });
    expect(await store.get("config")).toEqual({ key: "config", value: null, version: 2 });
    expect(await store.get("missing")).toBeUndefined();
  });

  it("writes nothing when any compare fails and names the conflicting keys", async () => {
    const store = open();
    await store.txn({ compare: [], ops: [{ type: "put", key: "a", value: 1 }] });
    const result = await store.txn({
      compare: [{ key: "a", version: 0 }, { key: "b", version: 0 }, { key: "c", version: 7 }],
      ops: [{ type: "put", key: "b", value: 2 }],
    });
    expect(result).toEqual({ ok: false, revision: 1, conflicts: ["a", "c"] });
    expect(await store.get("b")).toBeUndefined();
    expect(await store.revision()).toBe(1);
  });

  it("deletes keys, and a transaction that changes nothing keeps the revision", async () => {
    const store = open();
    await store.txn({ compare: [], ops: [{ type: "put", key: "a", value: 1 }] });
    expect(await store.txn({ compare: [], ops: [{ type: "delete", key: "nope" }] })).toEqual({ ok: true, revision: 1 });
    expect(await store.txn({ compare: [{ key: "a", version: 1 }], ops: [{ type: "delete", key: "a" }] })).toEqual({ ok: true, revision: 2 });
    expect(await store.get("a")).toBeUndefined();
    expect(await store.txn({ compare: [{ key: "a", version: 0 }], ops: [] })).toEqual({ ok: true, revision: 2 });
  });

  it("lists a prefix in key order at one revision", async () => {
    const store = open();
    await store.txn({ compare: [], ops: ["peers/c", "peers/a", "peersX", "clusters/a", "peers/b"].map((key) => ({ type: "put" as const, key, value: key })) });
    const listed = await store.list("peers/");
    expect(listed.items.map((i) => i.key)).toEqual(["peers/a", "peers/b", "peers/c"]);
    expect(listed.revision).toBe(1);
    expect((await store.list("")).items).toHaveLength(5);
    expect((await store.list("zzz")).items).toEqual([]);
  });

  it("rejects a value JSON cannot encode without writing anything", async () => {
    const store = open();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(store.txn({ compare: [], ops: [{ type: "put", key: "a", value: 1 }, { type: "put", key: "b", value: cyclic }] })).rejects.toThrow(TypeError);
    expect(await store.revision()).toBe(0);
  });

  it("keeps data and schema across reopen", async () => {
    const path = tempPath();
    const a = makeSqliteStore({ path });
    await a.txn({ compare: [], ops: [{ type: "put", key: "k", value: { v: 1 } }] });
    await a.close();
    const b = open(path);
    expect(await b.get("k")).toEqual({ key: "k", value: { v: 1 }, version: 1 });
    expect(await b.revision()).toBe(1);
    const raw = new DatabaseSync(path);
    expect(raw.prepare("PRAGMA user_version").get()).toEqual({ user_version: schemaVersion });
    expect(raw.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    raw.close();
  });

  it("refuses a file migrated by a newer drainkit", async () => {
    const path = tempPath();
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${schemaVersion + 1}`);
    raw.close();
    expect(() => makeSqliteStore({ path })).toThrow(expect.objectContaining({ code: "store-schema-newer", retryable: false }));
  });

  it("maps a file that is not a database to store-corrupt", () => {
    const path = tempPath();
    writeFileSync(path, "this is not a sqlite database, just some text that is long enough to have a header".repeat(20));
    expect(() => makeSqliteStore({ path })).toThrow(expect.objectContaining({ code: "store-corrupt", retryable: false }));
  });

  it("maps a held write lock to retryable store-busy", async () => {
    const path = tempPath();
    const store = open(path, { busyTimeoutMs: 0 });
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      await expect(store.txn({ compare: [], ops: [{ type: "put", key: "a", value: 1 }] })).rejects.toMatchObject({ code: "store-busy", retryable: true });
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect(await store.txn({ compare: [], ops: [{ type: "put", key: "a", value: 1 }] })).toEqual({ ok: true, revision: 1 });
  });

  it("fails calls after close with store-closed and reports ping false", async () => {
    const store = makeSqliteStore({ path: ":memory:" });
    expect(await store.ping()).toBe(true);
    await store.close();
    expect(await store.ping()).toBe(false);
    await expect(store.get("a")).rejects.toMatchObject({ code: "store-closed" });
  });

  it("accepts :memory: and synchronous NORMAL", async () => {
    const store = open(":memory:", { synchronous: "NORMAL" });
    await store.txn({ compare: [], ops: [{ type: "put", key: "a", value: 1 }] });
    expect(await store.get("a")).toMatchObject({ value: 1 });
  });
});

describe("watch", () => {
  it("replays kept history after fromRevision, then live changes, in revision order", async () => {
    const store = open();
    await store.txn({ compare: [], ops: [{ type: "put", key: "peers/a", value: 1 }] });
    await store.txn({ compare: [], ops: [{ type: "put", key: "other", value: 1 }] });
    await store.txn({ compare: [], ops: [{ type: "put", key: "peers/b", value: 2 }, { type: "delete", key: "peers/a" }] });
    const w = collect(store, "peers/", 1);
    await until(() => w.changes.length === 2, "history");
    await store.txn({ compare: [], ops: [{ type: "put", key: "peers/c", value: 3 }] });
    await until(() => w.changes.length === 3, "live change");
    expect(w.changes).toEqual([
      { revision: 3, key: "peers/b", value: 2, type: "put" },
      { revision: 3, key: "peers/a", value: undefined, type: "delete" },
      { revision: 4, key: "peers/c", value: 3, type: "put" },
    ]);
    w.close();
    await store.txn({ compare: [], ops: [{ type: "put", key: "peers/d", value: 4 }] });
    const after = collect(store, "peers/", 4);
    await until(() => after.changes.length === 1, "change after close");
    expect(w.changes).toHaveLength(3);
  });

  it("gives many watchers at different points and prefixes each exactly its own changes, in order", async () => {
    const store = open();
    const put = (key: string, v: number) => store.txn({ compare: [], ops: [{ type: "put", key, value: { v } }] });
    await put("a/1", 1);
    await put("b/1", 2);
    // Fifty at the head of everything, ten from the start, ten on one prefix, one closed early.
    const head = Array.from({ length: 50 }, () => collect(store, "", 2));
    const fromStart = Array.from({ length: 10 }, () => collect(store, "", 0));
    const onA = Array.from({ length: 10 }, () => collect(store, "a/", 0));
    const closed = collect(store, "", 2);
    closed.close();
    for (let i = 2; i <= 6; i++) await put(i % 2 === 0 ? `a/${i}` : `b/${i}`, i + 1);
    await new Promise((r) => setTimeout(r, 30));
    const seen = (w: { changes: Change[] }) => w.changes.map((c) => [c.revision, c.key, (c.value as { v: number }).v]);
    const later = [[3, "a/2", 3], [4, "b/3", 4], [5, "a/4", 5], [6, "b/5", 6], [7, "a/6", 7]];
    for (const w of head) expect(seen(w)).toEqual(later);
    for (const w of fromStart) expect(seen(w)).toEqual([[1, "a/1", 1], [2, "b/1", 2], ...later]);
    for (const w of onA) expect(seen(w)).toEqual([[1, "a/1", 1], [3, "a/2", 3], [5, "a/4", 5], [7, "a/6", 7]]);
    expect(closed.changes).toEqual([]);
    for (const w of [...head, ...fromStart, ...onA]) expect(w.errors).toEqual([]);
  });

  it("sees writes made through another connection to the same file", async () => {
    const path = tempPath();
    const reader = open(path);
    const writer = open(path);
    const w = collect(reader, "", 0);
    await writer.txn({ compare: [], ops: [{ type: "put", key: "x", value: "from elsewhere" }] });
    await until(() => w.changes.length === 1, "cross-connection change");
    expect(w.changes[0]).toEqual({ revision: 1, key: "x", value: "from elsewhere", type: "put" });
  });

  it("reports history-compacted when asked for changes no longer kept", async () => {
    const store = open();
    for (let i = 0; i < 5; i++) await store.txn({ compare: [], ops: [{ type: "put", key: `k${i}`, value: i }] });
    await store.compact(3);
    const stale = collect(store, "", 2);
    await until(() => stale.errors.length === 1, "compaction error");
    expect(stale.errors[0]).toMatchObject({ code: "history-compacted" });
    expect(stale.changes).toEqual([]);
    const fresh = collect(store, "", 3);
    await until(() => fresh.changes.length === 2, "changes after compaction point");
    expect(fresh.changes.map((c) => c.revision)).toEqual([4, 5]);
  });

  it("keeps only historyRevisions of history", async () => {
    const store = open(":memory:", { historyRevisions: 10 });
    for (let i = 0; i < 1000; i++) await store.txn({ compare: [], ops: [{ type: "put", key: "k", value: i }] });
    const stale = collect(store, "", 5);
    const fresh = collect(store, "", 990);
    await until(() => stale.errors.length === 1 && fresh.changes.length === 10, "compaction by retention");
    expect(stale.errors[0]).toMatchObject({ code: "history-compacted" });
  });
});

describe("campaign", () => {
  it("elects one candidate at a time and hands over on resign", async () => {
    const path = tempPath();
    const a = open(path);
    const b = open(path);
    const leaderA = await a.campaign("control-plane", "a", { ttlMs: 60_000 });
    expect(await b.leader("control-plane")).toBe("a");
    const pendingB = b.campaign("control-plane", "b", { ttlMs: 60_000 });
    let bLeads = false;
    void pendingB.then(() => (bLeads = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(bLeads).toBe(false);
    await leaderA.resign();
    expect(leaderA.signal.aborted).toBe(true);
    const leaderB = await pendingB;
    expect(await a.leader("control-plane")).toBe("b");
    expect(leaderB.signal.aborted).toBe(false);
  });

  it("rejects a campaign whose signal aborts", async () => {
    const store = open();
    await store.campaign("e", "first", { ttlMs: 60_000 });
    const controller = new AbortController();
    const pending = store.campaign("e", "second", { ttlMs: 60_000, signal: controller.signal });
    controller.abort(new Error("gave up"));
    await expect(pending).rejects.toThrow("gave up");
    expect(await store.leader("e")).toBe("first");
  });

  it("keeps renewing the lease while its holder runs", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const path = tempPath();
    const a = open(path, { clock });
    const b = open(path, { clock });
    const held = await a.campaign("e", "a", { ttlMs: 3_000 });
    clock.advance(60_000);
    expect(await b.leader("e")).toBe("a");
    expect(held.signal.aborted).toBe(false);
  });

  it("lets a successor take over once a stuck holder's lease expires", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const path = tempPath();
    const c = open(path, { clock });
    const raw = new DatabaseSync(path);
    raw.prepare("INSERT INTO leases (election, candidate, token, expires_at) VALUES ('e', 'stuck', 't', ?)").run(clock.now() + 3_000);
    raw.close();
    expect(await c.leader("e")).toBe("stuck");
    let elected = false;
    const pending = c.campaign("e", "c", { ttlMs: 3_000 }).then((l) => ((elected = true), l));
    await clock.advanceAsync(2_900);
    expect(elected).toBe(false);
    await clock.advanceAsync(300);
    expect((await pending).candidate).toBe("c");
    expect(await c.leader("e")).toBe("c");
  });

  it("gives leadership up before its lease can expire when renewals keep failing", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const path = tempPath();
    const a = open(path, { clock, busyTimeoutMs: 0 });
    const held = await a.campaign("e", "a", { ttlMs: 3_000 });
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      clock.advance(1_000);
      expect(held.signal.aborted).toBe(false);
      clock.advance(1_000);
      // Lease expires at 3 000; the next renewal would come too late.
      expect(held.signal.aborted).toBe(true);
      expect(held.signal.reason).toMatchObject({ code: "leadership-lost" });
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
  });

  it("aborts the leadership signal when another process took the lease", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const path = tempPath();
    const a = open(path, { clock });
    const held = await a.campaign("e", "a", { ttlMs: 3_000 });
    const raw = new DatabaseSync(path);
    raw.prepare("UPDATE leases SET candidate = 'intruder', token = 'other' WHERE election = 'e'").run();
    raw.close();
    clock.advance(1_000);
    expect(held.signal.aborted).toBe(true);
    expect(held.signal.reason).toMatchObject({ code: "leadership-lost" });
  });
});
