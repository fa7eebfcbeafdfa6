import type { Registry, StatusReport } from "@drainkit/registry";
import { describe, expect, it } from "vitest";
import { FullStackSimulation } from "../src/fullstack/FullStackSimulation.ts";
import { runScenario } from "../src/fullstack/runScenario.ts";
import { loadScenario } from "../src/scenario/load.ts";
import type { Scenario } from "../src/scenario/types.ts";

// Small fleets with quick upgrades: the shipped registry, controllers and agents all run, on virtual time.
const rolling = (nodes: number): Scenario => {
  const s = loadScenario("rolling-1k");
  return { ...s, fleet: { ...s.fleet, nodes, pools: 4 }, actions: [{ type: "rolling-upgrade", at: 10_000, upgradeMs: { min: 20_000, max: 40_000 } }] };
};

/** The shipped `agent-partition` scenario: two pools of 20; three hosts of pool-0 are cut off before the rollout starts. */
const partitioned = (): Scenario => loadScenario("agent-partition");

/**
 * A broken registry, injected at the simulator's registry seam: an agent's
 * report of a drain in progress is taken as done, in-flight and workload
 * counts and all, so the completion check is bypassed.
 */
const completionBypassed = (registry: Registry): Registry => ({
  ...registry,
  reportStatus: (principal, id, report: StatusReport, options) => {
    const draining = Object.values(report.roles).some((r) => r.phase === "draining");
    if (!draining) return registry.reportStatus(principal, id, report, options);
    const roles = Object.fromEntries(Object.entries(report.roles).map(([k, r]) => [k, { ...r, phase: "drained" as const }]));
    return registry.reportStatus(principal, id, { ...report, roles, inFlight: {}, workloads: { owners: 0, children: 0 } }, options);
  },
});

describe("full-stack mode", () => {
  it("upgrades every node of a 50-node fleet through the real rollout runner, agents and workload moves, with no invariant broken", async () => {
    const r = await runScenario(rolling(50), { mode: "full-stack", seed: 3 });
    expect(r.mode).toBe("full-stack");
    expect(r.invariantViolations).toEqual([]);
    expect(r.status).toBe("completed");
    expect(r.notUpgraded).toBe(0);
    expect(r.drains.completed).toBeGreaterThanOrEqual(50);
    expect(r.workloadMoves).toBeGreaterThan(0);
    expect(r.lostWorkloads).toBe(0);
    expect(r.lostRequests).toBe(0);
  }, 240_000);

  it("runs the shipped failover-1k at 50 nodes: three leader failovers (the leader's store client closes, the standby is elected through the store's election), every node upgraded once", async () => {
    const r = await runScenario(loadScenario("failover-1k"), { mode: "full-stack", nodes: 50 });
    expect(r.invariantViolations).toEqual([]);
    expect(r.faults["coordinator-failover"]).toBe(3);
    expect(r.status).toBe("completed");
    expect(r.notUpgraded).toBe(0);
    // The new leader's rollout runner continues from the steps in the store: no node is drained twice.
    expect(r.drains.started).toBe(50);
  }, 240_000);

  it("is deterministic: the same seed gives the same events and hash (with 5% of the agents' calls lost, which they retry)", async () => {
    const s: Scenario = { ...rolling(16), network: { delayMs: { min: 1, max: 50 }, loss: 0.05 } };
    const a = await runScenario(s, { mode: "full-stack", seed: 11 });
    const b = await runScenario(s, { mode: "full-stack", seed: 11 });
    expect(a.invariantViolations).toEqual([]);
    expect(a.status).toBe("completed");
    expect(a.events).toBe(b.events);
    expect(a.hash).toBe(b.hash);
    const c = await runScenario(s, { mode: "full-stack", seed: 12 });
    expect(c.hash).not.toBe(a.hash);
  }, 240_000);

  it("never counts a host silent past the liveness window as available, and fails its drain as agent-unreachable", async () => {
    const r = await runScenario(partitioned(), { seed: 2 });
    expect(r.invariantViolations).toEqual([]);
    expect(r.faults["agent-partition"]).toBe(1);
    // Hosts cut off and drained anyway (they hold no known capacity) fail at their deadline, and say why;
    // the rest of their pool waits (the guard refuses), and the run says so instead of passing as done.
    expect(r.failedDrains.length).toBeGreaterThan(0);
    for (const f of r.failedDrains) expect(f.reason).toMatch(/^agent-unreachable/);
    expect(r.status).toBe("blocked");
    expect(r.blocked.some((b) => /pool-0/.test(b.reason))).toBe(true);
  }, 240_000);

  it("catches a registry that reports a drain done while the host still holds work (completion check bypassed)", async () => {
    const r = await new FullStackSimulation(rolling(16), { seed: 3, registry: completionBypassed }).run();
    expect(r.invariantViolations.map((v) => v.invariant)).toContain("drain-truthful");
  }, 240_000);

  it("catches a guard that still counts a host whose agent stopped reporting (the liveness window stretched at the registry only)", async () => {
    const r = await new FullStackSimulation(partitioned(), { seed: 2, config: { "heartbeat.staleAfterMs": 3_600_000 } }).run();
    expect(r.invariantViolations.map((v) => v.invariant)).toContain("pool-availability");
  }, 240_000);

  it("refuses a fault the core mode cannot model", async () => {
    await expect(runScenario(partitioned(), { mode: "core" })).rejects.toThrow(/full-stack/);
  });
});
