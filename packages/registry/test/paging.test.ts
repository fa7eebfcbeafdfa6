import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { decodeCursor, encodeCursor, pageLimit } from "../src/paging.ts";

const fcParams = { ...(process.env["FC_SEED"] ? { seed: Number(process.env["FC_SEED"]) } : {}) };

describe("paging", () => {
  it("property: a cursor decodes to the key it was made from, and is URL-safe", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (key) => {
        const cursor = encodeCursor(key);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor)).toBe(key);
      }),
      fcParams,
    );
  });

  it("no cursor or an empty one starts at the beginning", () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor("")).toBeUndefined();
  });

  it("page limits: 100 by default, capped at 1 000, a whole number >= 1 or a validation error", () => {
    expect(pageLimit(undefined)).toBe(100);
    expect(pageLimit(1)).toBe(1);
    expect(pageLimit(5_000)).toBe(1_000);
    for (const bad of [0, -1, 2.5, Number.NaN]) expect(() => pageLimit(bad)).toThrow(expect.objectContaining({ code: "validation" }));
  });
});

describe("listPeers pages", () => {
  it("property: walking every page with a filter yields exactly the matching peers in id order, each page read from the store a chunk at a time", async () => {
    const { createRegistry, makeMemoryStore } = await import("../src/index.ts");
    const { makePeer, principals } = await import("../src/testing/index.ts");
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ n: fc.integer({ min: 0, max: 999 }), pool: fc.constantFrom("a", "b"), role: fc.constantFrom("edge", "db") }), { selector: (p) => p.n, maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom<{ pool?: string; role?: string }>({}, { pool: "a" }, { role: "db" }, { pool: "b", role: "edge" }),
        async (peers, limit, filter) => {
          const store = makeMemoryStore();
          let listed = 0;
          const list = store.list.bind(store);
          const counted = new Proxy(store, {
            get: (t, prop) =>
              prop === "list"
                ? async (...a: Parameters<typeof list>) => {
                    const r = await list(...a);
                    if (a[0] === "peers/") listed += r.items.length;
                    return r;
                  }
                : (Reflect.get(t, prop, t) as unknown as { bind?: (x: unknown) => unknown })?.bind?.(t) ?? Reflect.get(t, prop, t),
          });
          const registry = createRegistry({ store: counted, clock: new SimulatedClock({ start: 1_000_000 }), random: new SeededRandom(1) });
          for (const p of peers) await registry.registerPeer(principals.operator, makePeer({ id: `p-${String(p.n).padStart(3, "0")}`, pools: [p.pool], roles: [p.role] }));
          const want = peers
            .filter((p) => (filter.pool === undefined || p.pool === filter.pool) && (filter.role === undefined || p.role === filter.role))
            .map((p) => `p-${String(p.n).padStart(3, "0")}`)
            .sort();
          const got: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            listed = 0;
            const page = await registry.listPeers(principals.operator, { limit, ...filter, ...(cursor === undefined ? {} : { cursor }) });
            expect(page.items.length).toBeLessThanOrEqual(limit);
            // Unfiltered, a page reads its own items and one more (to know whether another page follows), not the fleet.
            if (filter.pool === undefined && filter.role === undefined) expect(listed).toBeLessThanOrEqual(limit + 1);
            got.push(...page.items.map((p) => p.id));
            cursor = page.nextCursor;
            pages++;
          } while (cursor !== undefined && pages < 100);
          expect(got).toEqual(want);
        },
      ),
      { ...fcParams, numRuns: 40 },
    );
  });
});
