import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { makeSqliteStore, type SqliteStore } from "../src/index.ts";
import { WriteThread } from "../src/writeThread.ts";
import type { WriteRequest } from "../src/writes.ts";

const dirs: string[] = [];
const stores: SqliteStore[] = [];
const threads: WriteThread[] = [];

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "drainkit-sqlite-thread-"));
  dirs.push(dir);
  return join(dir, "registry.db");
}

/** A migrated file and a write thread on it. */
function threadOn(path = tempPath()): { path: string; thread: WriteThread } {
  const store = makeSqliteStore({ path, writer: "main" });
  stores.push(store);
  const thread = new WriteThread({ path, synchronous: "FULL", busyTimeoutMs: 5000, historyRevisions: 100_000 });
  threads.push(thread);
  return { path, thread };
}

const put = (key: string, n: number): WriteRequest => ({ kind: "txn", compare: [], ops: [{ type: "put", key, json: JSON.stringify({ n }) }] });

afterEach(async () => {
  for (const t of threads.splice(0)) await t.close();
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the write thread", () => {
  it("answers every transaction sent at once, in order, each with its own revision", async () => {
    const { thread } = threadOn();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => thread.submit(put(`k${i}`, i))));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => ({ ok: true, revision: i + 1 })));
  });

  it("fails only the transaction the driver refuses; the ones sent with it commit", async () => {
    const { path, thread } = threadOn();
    // A key SQLite cannot bind (not a string) fails inside the transaction, after the first write.
    const bad: WriteRequest = { kind: "txn", compare: [], ops: [{ type: "put", key: "bad-first", json: "1" }, { type: "put", key: undefined as unknown as string, json: "1" }] };
    const [a, b, c] = await Promise.allSettled([thread.submit(put("a", 1)), thread.submit(bad), thread.submit(put("c", 3))]);
    expect(a).toEqual({ status: "fulfilled", value: { ok: true, revision: 1 } });
    expect(b).toMatchObject({ status: "rejected", reason: { code: "store-error" } });
    expect(c).toEqual({ status: "fulfilled", value: { ok: true, revision: 2 } });
    const raw = new DatabaseSync(path, { readOnly: true });
    expect(raw.prepare("SELECT key FROM kv ORDER BY key").all().map((r) => r["key"])).toEqual(["a", "c"]);
    expect(raw.prepare("SELECT revision, key FROM changes ORDER BY id").all()).toEqual([
      { revision: 1, key: "a" },
      { revision: 2, key: "c" },
    ]);
    raw.close();
  });

  it("rejects the writes in flight with store-unavailable when the thread dies, leaves each whole or absent, and writes again on a new thread", async () => {
    const { path, thread } = threadOn();
    expect(await thread.submit(put("before", 1))).toEqual({ ok: true, revision: 1 });
    // Another connection holds the write lock, so nothing sent now can commit before the thread dies.
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      thread.submit({ kind: "txn", compare: [], ops: [{ type: "put", key: `p${i}`, json: "1" }, { type: "put", key: `q${i}`, json: "1" }] }),
    );
    const killed = thread.kill();
    other.exec("ROLLBACK");
    other.close();
    await killed;
    const settled = await Promise.allSettled(inFlight);
    for (const s of settled) expect(s).toMatchObject({ status: "rejected", reason: { code: "store-unavailable", retryable: true, details: { path } } });
    const raw = new DatabaseSync(path, { readOnly: true });
    const keys = new Set(raw.prepare("SELECT key FROM kv").all().map((r) => String(r["key"])));
    expect(raw.prepare("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
    raw.close();
    // Each transaction whole or absent (the kill -9 tests cover a death in the middle of a COMMIT).
    for (let i = 0; i < 20; i++) expect(keys.has(`p${i}`)).toBe(keys.has(`q${i}`));
    expect(keys.has("before")).toBe(true);
    // The dead thread left no lock behind: the next write runs on a new one.
    expect(await thread.submit(put("after", 1))).toMatchObject({ ok: true });
  });

  it("answers every write sent before close, then refuses new ones with store-closed", async () => {
    const { thread } = threadOn();
    const sent = Array.from({ length: 20 }, (_, i) => thread.submit(put(`k${i}`, i)));
    await thread.close();
    expect((await Promise.all(sent)).every((r) => (r as { ok: boolean }).ok)).toBe(true);
    await expect(thread.submit(put("late", 1))).rejects.toMatchObject({ code: "store-closed" });
  });
});

describe("makeSqliteStore on its write thread", () => {
  it("shows a transaction's write to the next read, and to a watcher with its revision, once it resolved", async () => {
    const store = makeSqliteStore({ path: tempPath() });
    stores.push(store);
    const seen: number[] = [];
    store.watch("k/", 0, (c) => seen.push(c.revision));
    for (let i = 1; i <= 30; i++) {
      const r = await store.txn({ compare: [{ key: `k/${i}`, version: 0 }], ops: [{ type: "put", key: `k/${i}`, value: i }] });
      expect(r).toEqual({ ok: true, revision: i });
      expect(await store.get(`k/${i}`)).toEqual({ key: `k/${i}`, value: i, version: i });
      expect(await store.revision()).toBe(i);
    }
    for (let i = 0; i < 200 && seen.length < 30; i++) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it("rejects an unknown writer option", () => {
    expect(() => makeSqliteStore({ path: ":memory:", writer: "elsewhere" as "main" })).toThrow(TypeError);
  });
});
