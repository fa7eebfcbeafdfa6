import { describe, expect, it } from "vitest";
import { SimulatedClock } from "@drainkit/core/testing";
import { makeMemoryStore, type RegistryStore } from "@drainkit/registry";

/** The store with some methods replaced (the rest bound to it). */
function over(base: RegistryStore, overrides: Partial<RegistryStore>): RegistryStore {
  return {
    kind: base.kind,
    get: (k) => base.get(k),
    list: (p, o) => base.list(p, o),
    txn: (r) => base.txn(r),
    revision: () => base.revision(),
    watch: (p, f, c, e) => base.watch(p, f, c, e),
    campaign: (e, c, o) => base.campaign(e, c, o),
    leader: (e) => base.leader(e),
    ping: () => base.ping(),
    close: () => base.close(),
    ...overrides,
  };
}
import { classifySqliteError } from "@drainkit/store-sqlite";
import { watchStoreWrites } from "../src/storeHealth.ts";

/** A real SQLITE_FULL as the SQLite store raises it, thrown by writes while `full` is set (isolates the unit from a real full disk). */
function fillable(): { store: RegistryStore; full: { on: boolean }; writes: () => number } {
  const base = makeMemoryStore();
  const full = { on: false };
  let writes = 0;
  const store = over(base, {
    txn: async (r: Parameters<RegistryStore["txn"]>[0]) => {
      writes++;
      if (full.on) throw classifySqliteError(Object.assign(new Error("database or disk is full"), { errcode: 13 }), "/var/lib/drainkit/drainkit.db");
      return base.txn(r);
    },
  });
  return { store, full, writes: () => writes };
}

describe("watchStoreWrites", () => {
  it("reports writes-failing with the store's code while writes fail, and ok again once a probe write succeeds", async () => {
    const { store, full, writes } = fillable();
    const watched = watchStoreWrites(store, { clock: new SimulatedClock(), probeKey: "health/r1" });
    expect(await watched.status()).toEqual({ status: "ok" });
    full.on = true;
    await expect(watched.store.txn({ compare: [], ops: [{ type: "put", key: "peers/a", value: 1 }] })).rejects.toMatchObject({ code: "store-full", retryable: true });
    const failing = await watched.status();
    expect(failing).toMatchObject({ status: "writes-failing", error: "store-full" });
    expect(failing.detail).toContain("/var/lib/drainkit/drainkit.db");

    // Nobody writes, yet readiness returns: the status check probes.
    full.on = false;
    const before = writes();
    expect(await watched.status()).toEqual({ status: "ok" });
    expect(writes()).toBe(before + 1);
    expect((await store.get("health/r1"))?.value).toEqual({ at: 0 });
  });

  it("does not count a refused compare as a store failure", async () => {
    const { store } = fillable();
    const watched = watchStoreWrites(store, { clock: new SimulatedClock(), probeKey: "health/r1" });
    await watched.store.txn({ compare: [], ops: [{ type: "put", key: "k", value: 1 }] });
    expect((await watched.store.txn({ compare: [{ key: "k", version: 0 }], ops: [] })).ok).toBe(false);
    expect(await watched.status()).toEqual({ status: "ok" });
  });

  it("says unreachable when the store does not answer", async () => {
    const base = makeMemoryStore();
    const down = over(base, { ping: async () => false });
    expect(await watchStoreWrites(down, { clock: new SimulatedClock(), probeKey: "health/r1" }).status()).toEqual({ status: "unreachable" });
  });
});
