import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { makeMemoryStore } from "../src/index.ts";
import { runRegistryStoreConformance } from "../src/testing/index.ts";

runRegistryStoreConformance("memory", async () => {
  const store = makeMemoryStore();
  return { store, cleanup: () => store.close(), connect: async () => store.connect() };
});

describe("makeMemoryStore against a Map model", () => {
  // Keys of several buckets (the store keeps its sorted keys per first path segment), some a prefix of others.
  const keyArb = fc.constantFrom("a", "b", "c", "peers/x", "peers/y", "audit", "audit-head", "audit/1", "audit/2", "audit-by-target/x");
  const opArb = fc.oneof(
    fc.record({ type: fc.constant("put" as const), key: keyArb, value: fc.integer() }),
    fc.record({ type: fc.constant("delete" as const), key: keyArb }),
  );
  const txnArb = fc.record({
    compare: fc.array(fc.record({ key: keyArb, stale: fc.boolean() }), { maxLength: 2 }),
    ops: fc.array(opArb, { minLength: 1, maxLength: 3 }),
    // Listings between writes: the sorted key order is kept up to date lazily.
    list: fc.option(fc.constantFrom("", "peers/", "b", "audit", "audit/", "audit-", "p")),
    startAfter: fc.option(keyArb),
    limit: fc.option(fc.integer({ min: 1, max: 4 })),
  });

  it("applies each transaction wholly or not at all and versions keys by revision", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(txnArb, { maxLength: 25 }), async (txns) => {
        const store = makeMemoryStore();
        const model = new Map<string, { value: number; version: number }>();
        let revision = 0;
        for (const t of txns) {
          const compare = t.compare.map((c) => ({ key: c.key, version: (model.get(c.key)?.version ?? 0) + (c.stale ? 1 : 0) }));
          const expectOk = t.compare.every((c) => !c.stale);
          const r = await store.txn({ compare, ops: t.ops });
          expect(r.ok).toBe(expectOk);
          if (expectOk) {
            revision++;
            for (const op of t.ops) {
              if (op.type === "put") model.set(op.key, { value: op.value, version: revision });
              else model.delete(op.key);
            }
          }
          expect(await store.revision()).toBe(revision);
          if (t.list !== null) {
            const prefix = t.list;
            const listed = await store.list(prefix);
            expect(listed.items.map((i) => i.key)).toEqual([...model.keys()].filter((k) => k.startsWith(prefix)).sort());
            // A page: after `startAfter` (when it is at or past the prefix), at most `limit` keys.
            const after = t.startAfter ?? undefined;
            const paged = await store.list(prefix, { ...(after === undefined ? {} : { startAfter: after }), ...(t.limit === null ? {} : { limit: t.limit }) });
            const expected = [...model.keys()]
              .filter((k) => k.startsWith(prefix) && (after === undefined || after < prefix || k > after))
              .sort()
              .slice(0, t.limit ?? Infinity);
            expect(paged.items.map((i) => i.key)).toEqual(expected);
          }
        }
        const listed = await store.list("");
        expect(listed.items.map((i) => [i.key, i.value, i.version])).toEqual([...model.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.value, v.version]));
      }), fcParams(),
    );
  });

  it("hands out frozen copies, so a caller cannot change what the store holds", async () => {
    const store = makeMemoryStore();
    const value = { nested: { n: 1 } };
    await store.txn({ compare: [], ops: [{ type: "put", key: "k", value }] });
    value.nested.n = 2;
    const got = (await store.get("k"))!.value as { nested: { n: number } };
    expect(got.nested.n).toBe(1);
    expect(Object.isFrozen(got.nested)).toBe(true);
  });

  it("keeps a member named __proto__ as a member, never as the copy's prototype", async () => {
    const store = makeMemoryStore();
    await store.txn({ compare: [], ops: [{ type: "put", key: "k", value: JSON.parse('{"__proto__": {"polluted": true}, "n": 1}') }] });
    const got = (await store.get("k"))!.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.keys(got)).toEqual(["__proto__", "n"]);
    expect(JSON.stringify(got)).toBe('{"__proto__":{"polluted":true},"n":1}');
    expect((got as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.isFrozen(got)).toBe(true);
  });

  it("reports compaction when watching from before the kept history", async () => {
    const store = makeMemoryStore({ historyLimit: 2 });
    for (let i = 0; i < 5; i++) await store.txn({ compare: [], ops: [{ type: "put", key: `k${i}`, value: i }] });
    const error = await new Promise<Error>((resolve) => store.watch("", 0, () => {}, resolve));
    expect(error).toMatchObject({ code: "history-compacted" });
  });
});
