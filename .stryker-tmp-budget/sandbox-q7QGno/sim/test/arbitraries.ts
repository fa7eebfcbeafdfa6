// @ts-nocheck
import fc from "fast-check";
import type { Scenario, ScenarioAction, ScenarioFault } from "../src/scenario/types.ts";

/** Small random scenarios: fleet shapes, budgets, action schedules and faults. */
export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    nodes: fc.integer({ min: 2, max: 48 }),
    pools: fc.integer({ min: 1, max: 4 }),
    overlap: fc.constantFrom(0, 0, 0.25, 0.5),
    maxUnavailable: fc.option(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom("10%", "25%", "50%")), { nil: undefined }),
    minAvailable: fc.option(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom("50%", "75%", "90%")), { nil: undefined }),
    ratePerNode: fc.constantFrom(0, 2, 20),
    ownersPerNode: fc.integer({ min: 0, max: 2 }),
    childrenPerOwner: fc.integer({ min: 0, max: 2 }),
    delay: fc.integer({ min: 0, max: 300 }),
    rolling: fc.option(fc.constantFrom<"rollout" | "per-pool">("rollout", "per-pool"), { nil: undefined }),
    operators: fc.integer({ min: 0, max: 12 }),
    drainsPerOperator: fc.integer({ min: 1, max: 3 }),
    cordonOwners: fc.integer({ min: 0, max: 3 }),
    faults: fc.array(
      fc.oneof(
        fc.record({ type: fc.constant("node-crash" as const), at: fc.integer({ min: 0, max: 120_000 }), count: fc.integer({ min: 1, max: 4 }) }),
        fc.record({ type: fc.constant("hung-participant" as const), at: fc.integer({ min: 0, max: 60_000 }), count: fc.integer({ min: 1, max: 3 }) }),
        fc.record({ type: fc.constant("destination-crash" as const), at: fc.integer({ min: 0, max: 120_000 }), count: fc.integer({ min: 1, max: 2 }) }),
        fc.record({ type: fc.constant("coordinator-failover" as const), at: fc.integer({ min: 0, max: 120_000 }) }),
      ),
      { maxLength: 3 },
    ),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  })
  .map((g): Scenario => {
    const actions: ScenarioAction[] = [];
    if (g.rolling !== undefined) actions.push({ type: "rolling-upgrade", at: 1_000, controller: g.rolling, upgradeMs: { min: 5_000, max: 20_000 }, retryMs: 2_000 });
    if (g.operators > 0) actions.push({ type: "concurrent-drains", at: 500, operators: g.operators, drainsPerOperator: g.drainsPerOperator, holdMs: { min: 2_000, max: 20_000 }, retryMs: { min: 500, max: 3_000 } });
    if (g.cordonOwners > 0) {
      actions.push({ type: "cordons", at: 0, owners: Array.from({ length: g.cordonOwners }, (_, i) => `owner-${i}`), nodesPerOwner: Math.max(1, Math.floor(g.nodes / 4)), holdMs: { min: 1_000, max: 30_000 } });
    }
    // A hung request needs traffic (the schema refuses the fault without it).
    const faults: ScenarioFault[] = g.faults.filter((f) => f.type !== "hung-participant" || g.ratePerNode > 0).map((f) =>
      f.type === "coordinator-failover" ? { ...f, downMs: { min: 500, max: 3_000 } } : f.type === "hung-participant" ? f : { ...f, recoverMs: { min: 2_000, max: 20_000 } },
    );
    return {
      name: "generated",
      seed: g.seed,
      durationMs: 3_600_000,
      fleet: { nodes: g.nodes, pools: Math.min(g.pools, g.nodes), overlap: g.overlap, zones: 2, ownersPerNode: g.ownersPerNode, childrenPerOwner: g.childrenPerOwner },
      budget: { ...(g.maxUnavailable === undefined ? {} : { maxUnavailable: g.maxUnavailable }), ...(g.minAvailable === undefined ? {} : { minAvailable: g.minAvailable }) },
      ...(g.ratePerNode > 0 ? { traffic: { ratePerNode: g.ratePerNode, serviceMs: 200, tickMs: 500 } } : {}),
      drain: { deadlineMs: 60_000, slackMs: 10_000, moveMs: { min: 200, max: 2_000 } },
      network: { delayMs: { min: 0, max: g.delay } },
      actions,
      ...(faults.length > 0 ? { faults } : {}),
    };
  });
