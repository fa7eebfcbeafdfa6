import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fcParams } from "../../src/testing/index.ts";
import { isAvailable, planRollout, resolveBudget, type FleetNode, type PoolBudget } from "../../src/index.ts";
import { fleetNode } from "./harness.ts";

describe("planRollout", () => {
  it("sizes waves by each pool's budget and maxParallel", () => {
    const nodes = [
      ...Array.from({ length: 8 }, (_, i) => fleetNode(`web${i}`, ["web"])),
      ...Array.from({ length: 3 }, (_, i) => fleetNode(`db${i}`, ["db"])),
    ];
    const plan = planRollout({ nodes }, { version: "2.0.0" }, { pools: [{ name: "web", maxUnavailable: "25%" }, { name: "db", minAvailable: 2 }], maxParallel: 3 });
    expect(plan.blocked).toEqual([]);
    expect(plan.waves.map((w) => w.nodes)).toEqual([
      ["web0", "web1", "db0"],
      ["web2", "web3", "db1"],
      ["web4", "web5", "db2"],
      ["web6", "web7"],
    ]);
  });

  it("maxWaves plans only the next waves: the same first waves, blocked nodes and total", () => {
    const nodes = [
      ...Array.from({ length: 8 }, (_, i) => fleetNode(`web${i}`, ["web"])),
      ...Array.from({ length: 3 }, (_, i) => fleetNode(`db${i}`, ["db"])),
      fleetNode("stuck", ["db"], { phase: "draining" }),
    ];
    const pools: PoolBudget[] = [{ name: "web", maxUnavailable: "25%" }, { name: "db", maxUnavailable: 1 }];
    const next = planRollout({ nodes }, { version: "2.0.0" }, { pools, maxParallel: 3, maxWaves: 1 });
    // "stuck" is unavailable already, so it costs "db" nothing and rides in the first wave.
    expect(next.waves).toEqual([{ index: 0, nodes: ["web0", "web1", "stuck"] }]);
    expect(next.blocked.map((b) => [b.node, b.reason])).toEqual([
      ["db0", "pool-budget"],
      ["db1", "pool-budget"],
      ["db2", "pool-budget"],
    ]);
    expect(next.total).toBe(12);
    expect(planRollout({ nodes }, { version: "2.0.0" }, { pools, maxParallel: 3, maxWaves: 2 }).waves.map((w) => w.nodes)).toEqual([
      ["web0", "web1", "stuck"],
      ["web2", "web3"],
    ]);
    expect(() => planRollout({ nodes }, { version: "2.0.0" }, { pools, maxWaves: 0 })).toThrow(RangeError);
  });

  it("skips nodes already on the target version, or plans only the listed nodes", () => {
    const nodes = [fleetNode("a", ["p"]), fleetNode("b", ["p"], { version: "2.0.0" }), fleetNode("c", ["p"])];
    expect(planRollout({ nodes }, { version: "2.0.0" }, { pools: [] }).total).toBe(2);
    expect(planRollout({ nodes }, { version: "2.0.0", nodes: ["c"] }, { pools: [] }).waves).toEqual([{ index: 0, nodes: ["c"] }]);
  });

  it("counts drains in flight against the pool", () => {
    const nodes = [fleetNode("a", ["p"]), fleetNode("b", ["p"]), fleetNode("c", ["p"], { phase: "draining" })];
    const plan = planRollout({ nodes }, { version: "2.0.0", nodes: ["a", "b"] }, { pools: [{ name: "p", maxUnavailable: 1 }] });
    expect(plan.waves).toEqual([]);
    expect(plan.blocked.map((b) => [b.node, b.reason, b.pool])).toEqual([
      ["a", "pool-budget", "p"],
      ["b", "pool-budget", "p"],
    ]);
  });

  it("dry run: names the reason for every node that cannot drain now", () => {
    const single = planRollout({ nodes: [fleetNode("solo", [])] }, { version: "2.0.0" }, { pools: [] });
    expect(single.blocked).toMatchObject([{ node: "solo", reason: "only-node-left" }]);
    expect(single.blocked[0]!.detail).toMatch(/uncordon or add a node/i);

    const stranded = planRollout(
      { nodes: [fleetNode("a", [], { phase: "cordoned" }), fleetNode("b", [], { phase: "cordoned" })], workloads: [{ id: "w", node: "a" }] },
      { version: "2.0.0" },
      { pools: [] },
    );
    expect(stranded.blocked).toMatchObject([{ node: "a", reason: "no-destination" }]);
    expect(stranded.waves).toEqual([{ index: 0, nodes: ["b"] }]);

    const tiny = planRollout({ nodes: [fleetNode("x", ["one"]), fleetNode("y", [])] }, { version: "2.0.0" }, { pools: [{ name: "one", minAvailable: 1 }] });
    expect(tiny.blocked).toMatchObject([{ node: "x", reason: "pool-budget", pool: "one" }]);
    expect(tiny.blocked[0]!.detail).toContain("requires 1");
  });

  it("every wave keeps every pool within budget and a schedulable node outside it (property)", () => {
    const arb = fc.integer({ min: 1, max: 30 }).chain((n) =>
      fc.record({
        pools: fc.array(fc.subarray(["a", "b", "c"]), { minLength: n, maxLength: n }),
        phases: fc.array(fc.constantFrom("active", "active", "active", "cordoned", "draining", "failed"), { minLength: n, maxLength: n }),
        budgets: fc.tuple(
          ...["a", "b", "c"].map((name) =>
            fc.record({
              name: fc.constant(name),
              minAvailable: fc.option(fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const)), { nil: undefined }),
              maxUnavailable: fc.option(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%` as const)), { nil: undefined }),
            }),
          ),
        ),
        maxParallel: fc.integer({ min: 1, max: 8 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ pools, phases, budgets, maxParallel }) => {
        const nodes: FleetNode[] = pools.map((p, i) => fleetNode(`n${i}`, p, { phase: phases[i]! }));
        const budgetList: PoolBudget[] = budgets.map((b) => ({
          name: b.name,
          ...(b.minAvailable === undefined ? {} : { minAvailable: b.minAvailable }),
          ...(b.maxUnavailable === undefined ? {} : { maxUnavailable: b.maxUnavailable }),
        }));
        const plan = planRollout({ nodes }, { version: "2.0.0" }, { pools: budgetList, maxParallel });
        const seen = [...plan.waves.flatMap((w) => w.nodes), ...plan.blocked.map((b) => b.node)].sort();
        expect(seen).toEqual(nodes.map((n) => n.id).sort());
        const schedulableTotal = nodes.filter((n) => n.phase === "active").length;
        for (const wave of plan.waves) {
          expect(wave.nodes.length).toBeGreaterThan(0);
          expect(wave.nodes.length).toBeLessThanOrEqual(maxParallel);
          const inWave = new Set(wave.nodes);
          for (const pool of budgetList) {
            const members = nodes.filter((n) => n.pools.includes(pool.name));
            const required = resolveBudget(pool, members.length).required;
            const availableAfter = members.filter((n) => isAvailable(pool, n) && !inWave.has(n.id)).length;
            const availableNow = members.filter((n) => isAvailable(pool, n)).length;
            expect(availableAfter >= required || availableAfter === availableNow).toBe(true);
          }
          const outside = nodes.filter((n) => n.phase === "active" && !inWave.has(n.id)).length;
          if (schedulableTotal > 0) expect(outside).toBeGreaterThanOrEqual(1);
        }
      }),
      fcParams({ numRuns: 300 }),
    );
  });
});
