import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CapacityGuard, PoolCounts, type AdmissionDecision, type AdmissionRequest, type PoolBudget, type PoolMember } from "../../src/index.ts";
import { fcParams } from "../../src/testing/index.ts";

// The counts a pool should have, written out from the guard's rule (README, "Capacity guard"),
// not read from core: available = healthy and active or cordoned (the phase for the pool's role,
// else the node phase); schedulable = healthy and active; drains in flight = draining.
function expectedTally(pool: PoolBudget, members: readonly PoolMember[]): { total: number; available: number; schedulable: number; drainsInFlight: number } {
  const t = { total: 0, available: 0, schedulable: 0, drainsInFlight: 0 };
  for (const m of members) {
    for (const name of m.pools) {
      if (name !== pool.name) continue;
      const rolePhase = pool.role === undefined ? undefined : m.roles?.[pool.role];
      const phase = rolePhase ?? m.phase;
      t.total++;
      if (phase === "draining") t.drainsInFlight++;
      const up = m.healthy !== false;
      if (up && (phase === "active" || phase === "cordoned")) t.available++;
      if (up && phase === "active") t.schedulable++;
    }
  }
  return t;
}

const PHASES = ["active", "cordoned", "draining", "drained", "failed", "partially-drained", "down"] as const;
const POOL_NAMES = ["a", "b", "c", "d"] as const;
const ROLES = ["edge", "db"] as const;

const poolsArb = fc.uniqueArray(
  fc.record(
    {
      name: fc.constantFrom(...POOL_NAMES),
      role: fc.constantFrom(...ROLES),
      minAvailable: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const)),
      maxUnavailable: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const)),
      minSchedulable: fc.integer({ min: 0, max: 5 }),
    },
    { requiredKeys: ["name"] },
  ),
  { selector: (p) => p.name, minLength: 1, maxLength: 4 },
);

const memberArb = (id: string): fc.Arbitrary<PoolMember> =>
  fc.record(
    {
      id: fc.constant(id),
      // Undeclared names ("x") and a pool listed twice are both possible.
      pools: fc.array(fc.constantFrom(...POOL_NAMES, "x"), { maxLength: 3 }),
      phase: fc.constantFrom(...PHASES),
      roles: fc.dictionary(fc.constantFrom(...ROLES), fc.constantFrom(...PHASES), { maxKeys: 2 }),
      healthy: fc.boolean(),
    },
    { requiredKeys: ["id", "pools", "phase"] },
  );

const IDS = Array.from({ length: 8 }, (_, i) => `n${i}`);
/** A history of changes: each step sets a member (new or changed) or removes one. */
const stepsArb = fc.array(
  fc.oneof(
    fc.constantFrom(...IDS).chain((id) => memberArb(id).map((m) => ({ set: m }) as const)),
    fc.constantFrom(...IDS).map((id) => ({ delete: id }) as const),
  ),
  { maxLength: 40 },
);

const requestArb: fc.Arbitrary<AdmissionRequest> = fc.record(
  {
    kind: fc.constantFrom("drain" as const, "cordon" as const),
    node: fc.oneof(fc.constantFrom(...IDS, "ghost"), fc.array(fc.constantFrom(...IDS, "ghost"), { maxLength: 4 })),
    queue: fc.boolean(),
    force: fc.constantFrom({ reason: "admin" }, { reason: " " }),
  },
  { requiredKeys: ["kind", "node"] },
);

/** What a decision says, comparable with toEqual (the error by its message and details). */
function plain(d: AdmissionDecision): unknown {
  return d.outcome === "allowed" ? d : { outcome: d.outcome, pools: d.pools, message: d.error.message, details: d.error.details };
}

describe("PoolCounts: per-pool counts kept as members change", () => {
  it("equal a fresh count of the members after any history of changes (property)", () => {
    fc.assert(
      fc.property(poolsArb, stepsArb, (pools, steps) => {
        const counts = new PoolCounts(pools);
        const live = new Map<string, PoolMember>();
        for (const step of steps) {
          if ("set" in step) {
            counts.set(step.set);
            live.set(step.set.id, step.set);
          } else {
            counts.delete(step.delete);
            live.delete(step.delete);
          }
          for (const pool of pools) expect(counts.tally(pool)).toEqual(expectedTally(pool, [...live.values()]));
        }
        for (const id of IDS) expect(counts.member(id)).toBe(live.get(id));
      }),
      fcParams({ numRuns: 300 }),
    );
  });

  it("a budget of another role gets no counts (the guard counts the members then)", () => {
    const counts = new PoolCounts([{ name: "a", role: "edge" }]);
    expect(counts.tally({ name: "a", role: "db" })).toBeUndefined();
    expect(counts.tally({ name: "b" })).toBeUndefined();
    expect(counts.tally({ name: "a", role: "edge", minAvailable: 3 })).toEqual({ total: 0, available: 0, schedulable: 0, drainsInFlight: 0 });
  });

  it("the guard decides the same with the counts as by passing over the members (property)", () => {
    fc.assert(
      fc.property(poolsArb, stepsArb, fc.array(requestArb, { minLength: 1, maxLength: 5 }), (pools, steps, requests) => {
        const counts = new PoolCounts(pools);
        const live = new Map<string, PoolMember>();
        for (const step of steps) {
          if ("set" in step) {
            counts.set(step.set);
            live.set(step.set.id, step.set);
          } else {
            counts.delete(step.delete);
            live.delete(step.delete);
          }
        }
        const guard = new CapacityGuard({ pools });
        const nodes = [...live.values()];
        for (const request of requests) {
          expect(plain(guard.admit({ nodes, counts }, request))).toEqual(plain(guard.admit({ nodes }, request)));
          // Budgets read at decision time (another object, the same names and roles) use the counts too.
          const fresh = pools.map((p) => ({ ...p }));
          expect(plain(guard.admit({ nodes, counts }, request, fresh))).toEqual(plain(guard.admit({ nodes }, request, fresh)));
        }
      }),
      fcParams({ numRuns: 400 }),
    );
  });
});
