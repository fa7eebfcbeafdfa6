import { describe, expect, it } from "vitest";
import { parsePoolBudget, withBudgets } from "../../src/commands/fleet.ts";
import { simulatePlan } from "@drainkit/sim";
import { planSummary } from "../../src/commands/plan.ts";

describe("pool budgets on the command line", () => {
  it("reads the syntax of drainkit serve --pool", () => {
    expect(parsePoolBudget("web/edge:maxUnavailable=25%,minAvailable=2")).toEqual({ name: "web", role: "edge", maxUnavailable: "25%", minAvailable: 2 });
    expect(parsePoolBudget("api:minSchedulable=1")).toEqual({ name: "api", minSchedulable: 1 });
  });

  it("refuses a malformed budget, saying how to write it", () => {
    expect(() => parsePoolBudget("web")).toThrow(/expected <name>\[\/<role>\]:<bound>=<n\|n%>/);
    expect(() => parsePoolBudget("web:maxDown=1")).toThrow(/unknown bound "maxDown"/);
    expect(() => parsePoolBudget("web:minAvailable=150%")).toThrow(/needs a count or a percent/);
  });

  it("replaces a snapshot's budget for the same pool and keeps the others", () => {
    const snapshot = { version: 1 as const, pools: [{ name: "web", maxUnavailable: 3 }, { name: "api" }], nodes: [] };
    expect(withBudgets(snapshot, [{ name: "web", maxUnavailable: 1 }]).pools).toEqual([{ name: "api" }, { name: "web", maxUnavailable: 1 }]);
    expect(withBudgets(snapshot, [])).toBe(snapshot);
  });
});

describe("the plan's summary", () => {
  const snapshot = { version: 1 as const, source: "http://cp:7400", pools: [{ name: "web", maxUnavailable: 1 }], nodes: [] };
  const base = { action: "drain" as const, nodes: ["web-1", "web-2"], failed: [], violations: [], seed: 1, hash: "h", finished: true, minAvailability: { web: 0.75 } };

  it("leads with the verdict, then what blocks and how long", () => {
    const unsafe = planSummary(
      { ...base, safe: false, depletedPools: ["web"], blocked: [{ node: "web-2", pool: "web", reason: "Pool \"web\" would drop" }], simulatedMs: 65_000, drains: { completed: 1, failed: 0 } },
      { ...snapshot, nodes: [] },
    );
    expect(unsafe.split("\n")[0]).toBe("unsafe: the drain web-1, web-2 would not go through as asked");
    // A refusal keeps the pool at its floor: blocked, not depleted.
    expect(unsafe).toContain("would deplete a pool: no; the budget of web would refuse some nodes");
    expect(unsafe).toContain("budgets: web (maxUnavailable 1)");
    expect(unsafe).toContain("next: drain fewer nodes at once (drainctl peers drain … --sequential), or wait for the other members of web to come back (drainctl peers list --pool web)");
    expect(unsafe).toContain('blocked web-2 (pool web): Pool "web" would drop');
    expect(unsafe).toContain("estimated duration: 1m05s; 1 drained, 0 failed");
    expect(unsafe).toContain("lowest availability: web 75%");

    const safe = planSummary({ ...base, safe: true, depletedPools: [], blocked: [], simulatedMs: 4_000, drains: { completed: 2, failed: 0 } }, snapshot);
    expect(safe.split("\n")[0]).toBe("safe: the drain web-1, web-2 would finish in about 4s without depleting any pool");
    expect(safe).not.toContain("next:");
  });

  it("says a pool is depleted only when the run broke its availability", () => {
    const violation = { invariant: "pool-availability", message: "web below 2", eventIndex: 3, atMs: 10, pool: "web" };
    const text = planSummary({ ...base, safe: false, depletedPools: ["web"], blocked: [], violations: [violation] as never, simulatedMs: 1000, drains: { completed: 2, failed: 0 } }, snapshot);
    expect(text).toContain("would deplete a pool: yes: web");
  });

  it("is safe, depleting nothing, when the drain takes a pool down to exactly its budget (simulated)", async () => {
    const node = (id: string) => ({ id, pools: ["web"], roles: ["edge"], phase: "active", cordoned: false, workloads: { owners: 0, children: 0 }, inFlight: 0 });
    const fleet = { version: 1 as const, pools: [{ name: "web", minAvailable: 2 }], nodes: ["web-1", "web-2", "web-3"].map(node) };
    const r = await simulatePlan(fleet, { drain: ["web-1"] });
    const text = planSummary(r, fleet);
    expect(text.split("\n")[0]).toMatch(/^safe: /);
    expect(text).toContain("would deplete a pool: no\n");
  });
});
