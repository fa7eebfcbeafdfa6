// @ts-nocheck
import { describe, expect, it } from "vitest";
import { parseScenario, ScenarioError, scenarioToYaml, validateScenario, validateSnapshot } from "../../src/scenario/load.ts";
import { Simulation } from "../../src/Simulation.ts";
import type { FleetSnapshot, SnapshotNode } from "../../src/scenario/types.ts";
import { simulatePlan } from "../../src/plan/simulatePlan.ts";

const node = (id: string, pool: string, extra: Partial<SnapshotNode> = {}): SnapshotNode => ({
  id,
  pools: [pool],
  roles: ["edge"],
  phase: "active",
  cordoned: false,
  workloads: { owners: 1, children: 2 },
  inFlight: 0,
  ...extra,
});

/** web: 4 members, at most 1 down; api: 3 members, no budget. */
const snapshot: FleetSnapshot = {
  version: 1,
  pools: [{ name: "web", maxUnavailable: 1 }],
  nodes: [node("web-1", "web"), node("web-2", "web"), node("web-3", "web"), node("web-4", "web"), node("api-1", "api"), node("api-2", "api"), node("api-3", "api")],
};

describe("simulatePlan on a fleet snapshot", () => {
  it("says a drain within the budget is safe, and how long it takes", async () => {
    const r = await simulatePlan(snapshot, { drain: ["web-1", "api-1"] }, { moveMs: 2_000 });
    expect(r.safe).toBe(true);
    expect(r.blocked).toEqual([]);
    expect(r.depletedPools).toEqual([]);
    expect(r.drains).toEqual({ completed: 2, failed: 0 });
    // Three workloads move off each node, 2 s each: it cannot take less.
    expect(r.simulatedMs).toBeGreaterThanOrEqual(2_000);
    expect(r.violations).toEqual([]);
  });

  it("names the pool and the node when a drain would go past a budget", async () => {
    const r = await simulatePlan(snapshot, { drain: ["web-1", "web-2"] });
    expect(r.safe).toBe(false);
    expect(r.depletedPools).toEqual(["web"]);
    expect(r.blocked.map((b) => [b.node, b.pool])).toEqual([["web-2", "web"]]);
    expect(r.drains.completed).toBe(1);
  });

  it("counts nodes already down or draining against their pool", async () => {
    const degraded: FleetSnapshot = { ...snapshot, nodes: snapshot.nodes.map((n) => (n.id === "web-4" ? { ...n, phase: "draining" } : n)) };
    const r = await simulatePlan(degraded, { drain: ["web-1"] });
    expect(r.depletedPools).toEqual(["web"]);
    expect(r.blocked[0]?.node).toBe("web-1");
  });

  it("rolls a pool through core's RolloutController within its budget", async () => {
    const r = await simulatePlan(snapshot, { rollout: { pool: "web" } }, { upgradeMs: 10_000 });
    expect(r.safe).toBe(true);
    expect(r.nodes).toEqual(["web-1", "web-2", "web-3", "web-4"]);
    expect(r.drains.completed).toBe(4);
    expect(r.minAvailability["web"]).toBe(0.75);
    // One at a time (maxUnavailable 1), 10 s of upgrade each.
    expect(r.simulatedMs).toBeGreaterThanOrEqual(40_000);
  });

  it("reports a rollout's nodes the guard keeps refusing as blocked, with their pool", async () => {
    const full: FleetSnapshot = { ...snapshot, pools: [{ name: "web", minAvailable: "100%" }] };
    const r = await simulatePlan(full, { rollout: { pool: "web" } });
    expect(r.safe).toBe(false);
    expect(r.depletedPools).toEqual(["web"]);
    expect(r.blocked.map((b) => b.node).sort()).toEqual(["web-1", "web-2", "web-3", "web-4"]);
    expect(r.drains.completed).toBe(0);
  });

  it("gives the same answer for the same snapshot, action and seed", async () => {
    const a = await simulatePlan(snapshot, { rollout: {} }, { seed: 3 });
    const b = await simulatePlan(snapshot, { rollout: {} }, { seed: 3 });
    expect(b.hash).toBe(a.hash);
    expect(b.simulatedMs).toBe(a.simulatedMs);
  });

  it("refuses a bad snapshot naming every bad field, and unknown nodes", async () => {
    const bad = { version: 1, pools: [{ name: "web", maxUnavailable: -1 }], nodes: [{ ...node("a", "web"), workloads: { owners: -1, children: 0 } }, node("a", "web")] };
    expect(() => validateSnapshot(bad, "fleet.json")).toThrow(ScenarioError);
    try {
      validateSnapshot(bad, "fleet.json");
    } catch (e) {
      const issues = (e as ScenarioError).issues.join("\n");
      expect(issues).toContain("pools[0].maxUnavailable");
      expect(issues).toContain("nodes[0].workloads.owners");
    }
    expect(() => validateSnapshot({ ...snapshot, nodes: [node("a", "web"), node("a", "web")] })).toThrow(/nodes\[1\]\.id: "a" appears twice/);
    await expect(simulatePlan(snapshot, { drain: ["nope"] })).rejects.toThrow(/No node "nope" in the fleet snapshot/);
    await expect(simulatePlan(snapshot, { rollout: { pool: "db" } })).rejects.toThrow(/pool "db"/);
  });
});

describe("a scenario whose fleet is a snapshot", () => {
  const scenario = (extra: Record<string, unknown> = {}) => ({
    name: "from-snapshot",
    durationMs: 3_600_000,
    fleet: { nodes: snapshot.nodes.length, pools: 2, snapshot },
    budget: {},
    actions: [{ type: "drain", at: 0, nodes: ["web-1", "api-1"] }],
    ...extra,
  });

  it("runs from a YAML file on the snapshot's own nodes", async () => {
    const parsed = parseScenario(scenarioToYaml(validateScenario(scenario())), "plan.yaml");
    const r = await new Simulation(parsed).run();
    expect(r.nodes).toBe(7);
    expect(r.drains.completed).toBe(2);
    expect(r.blocked).toEqual([]);
    expect(r.invariantViolations).toEqual([]);
    expect(r.finished).toBe(true);
  });

  it("names the fields that do not fit the snapshot", () => {
    expect(() => validateScenario(scenario({ fleet: { nodes: 3, pools: 2, snapshot } }))).toThrow(/fleet\.nodes: must equal the snapshot's node count \(7\)/);
    expect(() => validateScenario(scenario({ actions: [{ type: "drain", at: 0, nodes: ["web-1", "db-9"] }] }))).toThrow(/actions\[0\]\.nodes\[1\]: no node "db-9" in the snapshot/);
    expect(() => validateScenario(scenario({ fleet: { nodes: 7, pools: 2, snapshot: { ...snapshot, nodes: [{ ...snapshot.nodes[0], phase: "sleeping" }] } } }))).toThrow(/fleet\.snapshot\.nodes\[0\]\.phase/);
  });
});
