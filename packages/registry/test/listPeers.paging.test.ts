import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRandom, systemClock } from "@drainkit/core";
import { createRegistry, makeMemoryStore } from "../src/index.ts";
import { makePeer, principals } from "../src/testing/index.ts";

const fcParams = { numRuns: 25, ...(process.env["FC_SEED"] ? { seed: Number(process.env["FC_SEED"]) } : {}) };

describe("listPeers pages", () => {
  it("property: following the cursors yields exactly the matching peers, in id order, each once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ n: fc.integer({ min: 0, max: 999 }), pool: fc.constantFrom("a", "b", "c") }), { selector: (p) => p.n, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.option(fc.constantFrom("a", "b", "c"), { nil: undefined }),
        async (peers, limit, pool) => {
          const registry = createRegistry({ store: makeMemoryStore(), clock: systemClock(), random: new SeededRandom(1) });
          for (const p of peers) await registry.registerPeer(principals.operator, makePeer({ id: `p-${String(p.n).padStart(3, "0")}`, pools: [p.pool] }));
          // The oracle: every registered peer in the pool asked for, sorted by id.
          const expected = peers
            .filter((p) => pool === undefined || p.pool === pool)
            .map((p) => `p-${String(p.n).padStart(3, "0")}`)
            .sort();
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages <= expected.length + 1; pages++) {
            const page = await registry.listPeers(principals.reader, { limit, ...(pool === undefined ? {} : { pool }), ...(cursor === undefined ? {} : { cursor }) });
            expect(page.items.length).toBeLessThanOrEqual(limit);
            seen.push(...page.items.map((p) => p.id));
            cursor = page.nextCursor;
            if (cursor === undefined) break;
          }
          expect(seen).toEqual(expected);
        },
      ),
      fcParams,
    );
  });
});
