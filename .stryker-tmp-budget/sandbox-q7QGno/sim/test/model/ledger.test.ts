// @ts-nocheck
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveBudget, type PoolBudget } from "@drainkit/core";
import { requiredMembers } from "../../src/model/budgetOracle.ts";
import { Simulation } from "../../src/Simulation.ts";
import { scenarioArb } from "../arbitraries.ts";

const seed = Number(process.env.FC_SEED ?? 20261207);

/** Pool counts recomputed from scratch: every member of every pool, from the registry's phases and the hosts' state. */
function fullCount(sim: Simulation): { available: number[]; crashedAvailable: number[]; draining: number[] } {
  const f = sim.fleet;
  const available = f.pools.map(() => 0);
  const crashedAvailable = f.pools.map(() => 0);
  const draining = f.pools.map(() => 0);
  for (let p = 0; p < f.pools.length; p++) {
    for (const node of f.members[p]!) {
      const phase = f.phase(node);
      const serves = phase === "active" || phase === "cordoned";
      if (serves && f.up[node] === 1) available[p]!++;
      if (serves && f.crashed[node] === 1) crashedAvailable[p]!++;
      if (phase === "draining") draining[p]!++;
    }
  }
  return { available, crashedAvailable, draining };
}

describe("the incremental pool ledger", () => {
  it("equals a full recount after every traced event of random scenarios (the O(pools of a node) check is the O(fleet) one)", async () => {
    console.log(`fast-check seed ${seed} (replay: FC_SEED=${seed})`);
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        let mismatch = "";
        const sim: Simulation = new Simulation(scenario, {
          trace: (r) => {
            if (mismatch !== "") return;
            const full = fullCount(sim);
            const f = sim.fleet;
            for (let p = 0; p < f.pools.length; p++) {
              if (f.available[p] !== full.available[p] || f.crashedAvailable[p] !== full.crashedAvailable[p] || f.draining[p] !== full.draining[p]) {
                mismatch = `after ${JSON.stringify(r)}: pool ${f.pools[p]!.name} ledger ${f.available[p]}/${f.crashedAvailable[p]}/${f.draining[p]}, recount ${full.available[p]}/${full.crashedAvailable[p]}/${full.draining[p]}`;
              }
            }
          },
        });
        await sim.run();
        expect(mismatch).toBe("");
      }),
      { seed, numRuns: 30 },
    );
  });

  it("computes required members by the documented rule, which core's resolveBudget also follows", () => {
    const budget = fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const));
    fc.assert(
      fc.property(fc.option(budget, { nil: undefined }), fc.option(budget, { nil: undefined }), fc.integer({ min: 1, max: 500 }), (minAvailable, maxUnavailable, size) => {
        const pool: PoolBudget = { name: "p", ...(minAvailable === undefined ? {} : { minAvailable }), ...(maxUnavailable === undefined ? {} : { maxUnavailable }) };
        // Agreement on every budget is what lets the oracle catch core when one of them drifts.
        expect(requiredMembers(pool, size)).toBe(resolveBudget(pool, size).required);
      }),
      { seed, numRuns: 2_000 },
    );
    // Spot values from the rule itself, not from core.
    expect(requiredMembers({ name: "p", maxUnavailable: "10%" }, 15)).toBe(14);
    expect(requiredMembers({ name: "p", maxUnavailable: "10%" }, 5)).toBe(4);
    expect(requiredMembers({ name: "p", maxUnavailable: "10%" }, 1)).toBe(1);
    expect(requiredMembers({ name: "p", minAvailable: "80%" }, 7)).toBe(6);
    expect(requiredMembers({ name: "p", minAvailable: 3, maxUnavailable: 4 }, 10)).toBe(6);
  });
});
