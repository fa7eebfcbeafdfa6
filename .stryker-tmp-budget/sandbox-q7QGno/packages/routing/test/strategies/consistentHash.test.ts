// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { consistentHash, hash32 } from "../../src/index.ts";
import { fakeView as view } from "./fakeView.ts";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`);

describe("consistentHash", () => {
  it("moves only the keys of a member that leaves; every other key stays put", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.nat(), fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 60 }), (n, pick, keys) => {
        const nodes = ids(n);
        const before = view(Object.fromEntries(nodes.map((id) => [id, "active" as const])));
        const ring = consistentHash();
        const first = new Map(keys.map((k) => [k, ring.pick(before, k)!.id]));
        const leaving = nodes[pick % n]!;
        // A fresh strategy: no session memory, so this checks the ring itself.
        const after = view(Object.fromEntries(nodes.filter((id) => id !== leaving).map((id) => [id, "active" as const])));
        const fresh = consistentHash();
        for (const k of keys) {
          const now = fresh.pick(after, k)!.id;
          expect(now).not.toBe(leaving);
          if (first.get(k) !== leaving) expect(now).toBe(first.get(k));
        }
      }), fcParams(),
    );
  });

  it("keeps sessions on a draining member, sends new keys elsewhere, and lets go once drained", () => {
    const v = view({ a: "active", b: "active", c: "active" });
    const ring = consistentHash();
    const sessions = Array.from({ length: 300 }, (_, i) => `s-${i}`);
    const home = new Map(sessions.map((s) => [s, ring.pick(v, s)!.id]));
    v.set("b", "draining");
    for (const s of sessions) expect(ring.pick(v, s)!.id).toBe(home.get(s));
    for (let i = 0; i < 300; i++) expect(ring.pick(v, `new-${i}`)!.id).not.toBe("b");
    v.set("b", "drained");
    for (const s of sessions) expect(ring.pick(v, s)!.id).not.toBe("b");
  });

  it("forgets the oldest session past maxSessions, and a session on request", () => {
    const v = view({ a: "active", b: "active", c: "active" });
    const ring = consistentHash({ maxSessions: 2 });
    const k1 = ring.pick(v, "k1")!.id;
    ring.pick(v, "k2");
    const k3 = ring.pick(v, "k3")!.id; // k1 is forgotten here
    v.set(k1, "draining");
    expect(ring.pick(v, "k1")!.id).not.toBe(k1);
    v.set(k1, "active");
    v.set(k3, "draining");
    expect(ring.pick(v, "k3")!.id).toBe(k3);
    ring.forget?.("k3");
    expect(ring.pick(v, "k3")!.id).not.toBe(k3);
    expect(ring.pick(view({}), "k9")).toBeUndefined();
  });

  it("spreads keys over every member", () => {
    const v = view(Object.fromEntries(ids(10).map((id) => [id, "active" as const])));
    const ring = consistentHash();
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const id = ring.pick(v, `key-${i}`)!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    for (const c of counts.values()) expect(c).toBeGreaterThan(500);
  });

  it("hash32 is a stable unsigned 32-bit hash", () => {
    expect(hash32("drainkit")).toBe(hash32("drainkit"));
    fc.assert(fc.property(fc.string(), (s) => Number.isInteger(hash32(s)) && hash32(s) >= 0 && hash32(s) < 2 ** 32), fcParams());
  });
});
