// @ts-nocheck
import { describe, expect, it } from "vitest";
import type { Change } from "../store.ts";
import { approvalConformanceCases } from "./approvalCases.ts";
import { registryConformanceCases } from "./registryCases.ts";
import type { ConformanceOptions, StoreUnderTest } from "./StoreUnderTest.ts";

export type { ConformanceOptions, StoreUnderTest };

/** Resolves once `predicate` holds, polling on real time; rejects after `ms`. */
async function eventually(predicate: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = performance.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (performance.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The contract every {@link RegistryStore} must meet, as a vitest suite: CAS,
 * multi-key atomicity, prefix listing, delete, watch (history then live, in
 * order), leadership, and registry-level behaviour on top of the store
 * (idempotency replay, If-Match, one audit entry per attempt, tamper
 * detection, and 50 operators racing for the last spare nodes of a pool).
 *
 * Call it at the top level of a test file.
 *
 * @example
 * import { runRegistryStoreConformance } from "@drainkit/registry/testing";
 * runRegistryStoreConformance("sqlite", async () => {
 *   const store = await makeSqliteStore({ path: ":memory:" });
 *   return { store, cleanup: () => store.close() };
 * });
 */
export function runRegistryStoreConformance(name: string, makeStore: () => Promise<StoreUnderTest>, options: ConformanceOptions = {}): void {
  const timeout = options.timeoutMs ?? 30_000;
  const ttlMs = options.leaseTtlMs ?? 1_000;

  /** Runs `body` on a fresh store and always cleans up. */
  const withStore = (body: (s: StoreUnderTest) => Promise<void>) => async (): Promise<void> => {
    const s = await makeStore();
    try {
      await body(s);
    } finally {
      await s.cleanup();
    }
  };

  describe(`RegistryStore conformance: ${name}`, () => {
    describe("reads and CAS transactions", () => {
      it("creates a key only when compared against version 0, and reports the conflicting key otherwise", withStore(async ({ store }) => {
        const first = await store.txn({ compare: [{ key: "peers/a", version: 0 }], ops: [{ type: "put", key: "peers/a", value: { n: 1 } }] });
        expect(first.ok).toBe(true);
        const got = await store.get("peers/a");
        expect(got?.value).toEqual({ n: 1 });
        expect(got?.version).toBeGreaterThan(0);
        expect(got?.version).toBe(first.revision);

        const again = await store.txn({ compare: [{ key: "peers/a", version: 0 }], ops: [{ type: "put", key: "peers/a", value: { n: 2 } }] });
        expect(again.ok).toBe(false);
        if (!again.ok) expect(again.conflicts).toEqual(["peers/a"]);
        expect((await store.get("peers/a"))?.value).toEqual({ n: 1 });
      }), timeout);

      it("updates when the version matches and refuses a stale version", withStore(async ({ store }) => {
        await store.txn({ compare: [], ops: [{ type: "put", key: "k", value: "v1" }] });
        const v1 = (await store.get("k"))!.version;
        const ok = await store.txn({ compare: [{ key: "k", version: v1 }], ops: [{ type: "put", key: "k", value: "v2" }] });
        expect(ok.ok).toBe(true);
        const v2 = (await store.get("k"))!.version;
        expect(v2).toBeGreaterThan(v1);
        const stale = await store.txn({ compare: [{ key: "k", version: v1 }], ops: [{ type: "put", key: "k", value: "v3" }] });
        expect(stale.ok).toBe(false);
        expect((await store.get("k"))?.value).toBe("v2");
      }), timeout);

      it("applies a multi-key transaction entirely or not at all", withStore(async ({ store }) => {
        await store.txn({ compare: [], ops: [{ type: "put", key: "x", value: 1 }, { type: "put", key: "y", value: 1 }] });
        const x = (await store.get("x"))!;
        const y = (await store.get("y"))!;
        expect(x.version).toBe(y.version);
        // y is stale: neither x nor z may be written.
        await store.txn({ compare: [], ops: [{ type: "put", key: "y", value: 2 }] });
        const failed = await store.txn({
          compare: [{ key: "x", version: x.version }, { key: "y", version: y.version }],
          ops: [{ type: "put", key: "x", value: 99 }, { type: "put", key: "z", value: 99 }],
        });
        expect(failed.ok).toBe(false);
        if (!failed.ok) expect(failed.conflicts).toEqual(["y"]);
        expect((await store.get("x"))?.value).toBe(1);
        expect(await store.get("z")).toBeUndefined();
      }), timeout);

      it("round-trips JSON values (objects, arrays, strings, numbers, booleans, null)", withStore(async ({ store }) => {
        const value = { s: "é✓", n: -1.5, b: true, z: null, a: [1, { deep: ["x"] }], o: {} };
        await store.txn({ compare: [], ops: [{ type: "put", key: "json", value }] });
        expect((await store.get("json"))?.value).toEqual(value);
      }), timeout);

      it("deletes keys; a deleted key compares as version 0", withStore(async ({ store }) => {
        await store.txn({ compare: [], ops: [{ type: "put", key: "d", value: 1 }] });
        const del = await store.txn({ compare: [{ key: "d", version: (await store.get("d"))!.version }], ops: [{ type: "delete", key: "d" }] });
        expect(del.ok).toBe(true);
        expect(await store.get("d")).toBeUndefined();
        const recreate = await store.txn({ compare: [{ key: "d", version: 0 }], ops: [{ type: "put", key: "d", value: 2 }] });
        expect(recreate.ok).toBe(true);
      }), timeout);

      it("lists by prefix in key order, at a revision", withStore(async ({ store }) => {
        for (const k of ["peers/c", "peers/a", "clusters/x", "peers/b", "peersx"]) {
          await store.txn({ compare: [], ops: [{ type: "put", key: k, value: k }] });
        }
        const listed = await store.list("peers/");
        expect(listed.items.map((i) => i.key)).toEqual(["peers/a", "peers/b", "peers/c"]);
        expect(listed.items.map((i) => i.value)).toEqual(["peers/a", "peers/b", "peers/c"]);
        expect(listed.revision).toBe(await store.revision());
        expect((await store.list("nothing/")).items).toEqual([]);
      }), timeout);

      it("lists a page: only keys after startAfter, at most limit, still within the prefix", withStore(async ({ store }) => {
        const keys = Array.from({ length: 12 }, (_, i) => `audit/${String(i + 1).padStart(4, "0")}`);
        await store.txn({ compare: [], ops: [...keys, "audia", "audit0", "auditx", "b"].map((key) => ({ type: "put" as const, key, value: key })) });
        const first = await store.list("audit/", { limit: 5 });
        expect(first.items.map((i) => i.key)).toEqual(keys.slice(0, 5));
        expect(first.revision).toBe(await store.revision());
        const second = await store.list("audit/", { startAfter: first.items.at(-1)!.key, limit: 5 });
        expect(second.items.map((i) => i.key)).toEqual(keys.slice(5, 10));
        // The last page is short and never runs past the prefix.
        expect((await store.list("audit/", { startAfter: keys[9]!, limit: 5 })).items.map((i) => i.value)).toEqual(keys.slice(10));
        expect((await store.list("audit/", { startAfter: keys[11]! })).items).toEqual([]);
        // startAfter need not be a stored key; one before the prefix lists from its start.
        expect((await store.list("audit/", { startAfter: "audit/0003x" })).items.map((i) => i.key)).toEqual(keys.slice(3));
        expect((await store.list("audit/", { startAfter: "a", limit: 2 })).items.map((i) => i.key)).toEqual(keys.slice(0, 2));
        expect((await store.list("", { startAfter: "auditx", limit: 3 })).items.map((i) => i.key)).toEqual(["b"]);
        expect((await store.list("audit/")).items).toHaveLength(12);
      }), timeout);

      it("advances the revision once per successful write transaction and never on a failed one", withStore(async ({ store }) => {
        const r0 = await store.revision();
        const a = await store.txn({ compare: [], ops: [{ type: "put", key: "r1", value: 1 }, { type: "put", key: "r2", value: 2 }] });
        expect(a.ok && a.revision > r0).toBe(true);
        const r1 = await store.revision();
        expect(r1).toBe(a.revision);
        await store.txn({ compare: [{ key: "r1", version: 0 }], ops: [{ type: "put", key: "r1", value: 3 }] });
        expect(await store.revision()).toBe(r1);
      }), timeout);

      it("lets exactly one of many concurrent CAS writers win", withStore(async ({ store }) => {
        await store.txn({ compare: [], ops: [{ type: "put", key: "counter", value: 0 }] });
        const v = (await store.get("counter"))!.version;
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.txn({ compare: [{ key: "counter", version: v }], ops: [{ type: "put", key: "counter", value: i + 1 }] })),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
      }), timeout);

      it("answers ping while open", withStore(async ({ store }) => {
        expect(await store.ping()).toBe(true);
        expect(typeof store.kind).toBe("string");
      }), timeout);
    });

    describe("watch", () => {
      it("replays history after the revision, then follows live changes, in order, filtered by prefix", withStore(async ({ store }) => {
        await store.txn({ compare: [], ops: [{ type: "put", key: "w/a", value: 1 }] });
        const from = await store.revision();
        await store.txn({ compare: [], ops: [{ type: "put", key: "w/b", value: 2 }] });
        await store.txn({ compare: [], ops: [{ type: "put", key: "other", value: 0 }] });
        await store.txn({ compare: [], ops: [{ type: "delete", key: "w/a" }] });
        const seen: Change[] = [];
        const h = store.watch("w/", from, (c) => seen.push(c));
        try {
          await eventually(() => seen.length >= 2, 5_000, "history");
          await store.txn({ compare: [], ops: [{ type: "put", key: "w/c", value: 3 }, { type: "put", key: "w/d", value: 4 }] });
          await eventually(() => seen.length >= 4, 5_000, "live changes");
          expect(seen.map((c) => [c.key, c.type, c.value])).toEqual([
            ["w/b", "put", 2],
            ["w/a", "delete", undefined],
            ["w/c", "put", 3],
            ["w/d", "put", 4],
          ]);
          const revisions = seen.map((c) => c.revision);
          expect(revisions.every((r, i) => i === 0 || r >= revisions[i - 1]!)).toBe(true);
          expect(revisions[0]).toBeGreaterThan(from);
          expect(seen[2]!.revision).toBe(seen[3]!.revision);
        } finally {
          h.close();
        }
      }), timeout);

      it("stops delivering after close", withStore(async ({ store }) => {
        const seen: Change[] = [];
        const h = store.watch("q/", await store.revision(), (c) => seen.push(c));
        await store.txn({ compare: [], ops: [{ type: "put", key: "q/1", value: 1 }] });
        await eventually(() => seen.length === 1, 5_000, "first change");
        h.close();
        await store.txn({ compare: [], ops: [{ type: "put", key: "q/2", value: 2 }] });
        await store.txn({ compare: [], ops: [{ type: "put", key: "sentinel", value: 1 }] });
        await new Promise((r) => setTimeout(r, 50));
        expect(seen.map((c) => c.key)).toEqual(["q/1"]);
      }), timeout);
    });

    describe("leadership", () => {
      it("grants one leader, queues the next candidate and hands over on resign", withStore(async ({ store }) => {
        const a = await store.campaign("conf-election", "a", { ttlMs });
        expect(await store.leader("conf-election")).toBe("a");
        let bLeads = false;
        const bPromise = store.campaign("conf-election", "b", { ttlMs }).then((l) => {
          bLeads = true;
          return l;
        });
        await new Promise((r) => setTimeout(r, 50));
        expect(bLeads).toBe(false);
        expect(a.signal.aborted).toBe(false);
        await a.resign();
        expect(a.signal.aborted).toBe(true);
        const b = await bPromise;
        expect(b.candidate).toBe("b");
        await eventually(async () => (await store.leader("conf-election")) === "b", 5_000, "b to lead");
        await b.resign();
      }), timeout);

      it("rejects a campaign whose signal aborts before it leads", withStore(async ({ store }) => {
        const a = await store.campaign("conf-abort", "a", { ttlMs });
        const controller = new AbortController();
        const b = store.campaign("conf-abort", "b", { ttlMs, signal: controller.signal });
        controller.abort(new Error("gave up"));
        await expect(b).rejects.toThrow("gave up");
        expect(await store.leader("conf-abort")).toBe("a");
        await a.resign();
      }), timeout);

      it("applies a leader's fenced writes while it leads; a store that fences refuses them with `fenced` after it resigned", withStore(async ({ store }) => {
        const a = await store.campaign("conf-fence", "a", { ttlMs });
        const fenced = (value: number) => store.txn({ compare: [], ops: [{ type: "put", key: "fenced", value }], ...(a.fence === undefined ? {} : { fence: a.fence }) });
        expect((await fenced(1)).ok).toBe(true);
        expect((await store.get("fenced"))?.value).toBe(1);
        await a.resign();
        if (a.fence === undefined) return;
        await expect(fenced(2)).rejects.toMatchObject({ code: "fenced" });
        expect((await store.get("fenced"))?.value).toBe(1);
      }), timeout);

      it("moves leadership to another replica when the leader's client goes away (lease expiry)", withStore(async (s) => {
        if (s.connect === undefined) return;
        const replica = await s.connect();
        const other = await s.connect();
        try {
          const a = await replica.campaign("conf-lease", "a", { ttlMs });
          const b = other.campaign("conf-lease", "b", { ttlMs });
          await replica.close();
          await eventually(() => a.signal.aborted, ttlMs * 10, "the old leader to learn it lost");
          const led = await b;
          expect(led.candidate).toBe("b");
          await eventually(async () => (await s.store.leader("conf-lease")) === "b", ttlMs * 10, "b to lead");
          await led.resign();
        } finally {
          await other.close();
          await replica.close();
        }
      }), timeout);
    });

    registryConformanceCases(withStore, { timeout, racers: options.racers ?? 50 });
    approvalConformanceCases(withStore, { timeout });
  });
}
