// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { electorDecision, type ElectorView } from "../../src/index.ts";
import { fcParams } from "../../src/testing/index.ts";

const view = fc.record({
  self: fc.constant("cp-1"),
  draining: fc.boolean(),
  leading: fc.boolean(),
  leader: fc.constantFrom(undefined, "cp-1", "cp-2"),
  eligibleOthers: fc.integer({ min: 0, max: 3 }),
  liveOthers: fc.integer({ min: 0, max: 3 }),
}).filter((v) => v.eligibleOthers <= v.liveOthers && (!v.leading || v.leader !== "cp-2"));

describe("electorDecision", () => {
  it("campaigns while not draining, and the leadership part of a drain ends only once it is safe", () => {
    fc.assert(
      fc.property(view, (v: ElectorView) => {
        const d = electorDecision(v);
        if (!v.draining) {
          expect(d).toMatchObject({ campaign: true, resign: false });
          return;
        }
        const another = v.leader === "cp-2";
        // Released: someone else leads, or nobody else exists to lead.
        expect(d.released).toBe(another || v.liveOthers === 0);
        // A draining leader never resigns into a fleet without an eligible successor.
        if (d.resign) expect(v.leading && v.eligibleOthers > 0).toBe(true);
        if (v.leading && v.eligibleOthers === 0 && v.liveOthers > 0) expect(d).toMatchObject({ campaign: true, resign: false, waiting: "only-draining-candidates" });
        if (v.leading && v.eligibleOthers > 0) expect(d).toMatchObject({ resign: true, released: false, waiting: "handing-over" });
        if (!d.released) expect(d.detail).toContain("cp-1");
      }),
      fcParams(),
    );
  });

  it("a fleet that drains replicas one after another always ends with a leader, a non-draining one when there is one", () => {
    // A model of the election: the leader keeps the lease until it resigns; a free lease goes to the first campaigner.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (n, order) => {
        const ids = Array.from({ length: n }, (_, i) => `cp-${i}`);
        const draining = new Set<string>();
        let leader: string | undefined;
        const settle = (): void => {
          for (let round = 0; round < 10; round++) {
            const decisions = ids.map((id) =>
              electorDecision({
                self: id,
                draining: draining.has(id),
                leading: leader === id,
                leader,
                eligibleOthers: ids.filter((o) => o !== id && !draining.has(o)).length,
                liveOthers: n - 1,
              }),
            );
            ids.forEach((id, i) => {
              if (leader === id && decisions[i]!.resign) leader = undefined;
            });
            if (leader === undefined) leader = ids.find((_, i) => decisions[i]!.campaign);
          }
        };
        settle();
        for (const pick of order) {
          draining.add(ids[pick % n]!);
          settle();
          expect(leader).toBeDefined();
          if (draining.size < n) expect(draining.has(leader!)).toBe(false);
        }
      }),
      fcParams(),
    );
  });
});
