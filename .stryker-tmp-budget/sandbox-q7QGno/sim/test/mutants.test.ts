// @ts-nocheck
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simulatePlan } from "../src/plan/simulatePlan.ts";
import { BUILTIN_SCENARIOS_DIR, loadScenario } from "../src/scenario/load.ts";
import type { FleetSnapshot } from "../src/scenario/types.ts";
import { completionEarly, mutants } from "./mutants.ts";

describe("hand-written mutants", () => {
  it("each is named by a regression scenario that must catch it (test/regressions.test.ts runs them)", () => {
    const dir = join(BUILTIN_SCENARIOS_DIR, "regressions");
    const named = new Set(
      readdirSync(dir)
        .filter((f) => f.endsWith(".yaml") && !f.endsWith(".invalid.yaml"))
        .map((f) => loadScenario(join(dir, f)).expect?.mutant)
        .filter((m) => m !== undefined),
    );
    expect([...named].sort()).toEqual(Object.keys(mutants).sort());
  });

  it("simulatePlan calls a plan unsafe when the scheduler reports completion with work on the hosts", async () => {
    const node = (id: string) => ({ id, pools: ["web"], roles: ["edge"], phase: "active" as const, cordoned: false, workloads: { owners: 2, children: 1 }, inFlight: 0 });
    const snapshot: FleetSnapshot = { version: 1, pools: [{ name: "web", maxUnavailable: 2 }], nodes: [node("a"), node("b"), node("c"), node("d")] };
    const honest = await simulatePlan(snapshot, { drain: ["a", "b"] }, { moveMs: 2_000 });
    expect(honest.safe).toBe(true);
    const early = await simulatePlan(snapshot, { drain: ["a", "b"] }, { moveMs: 2_000, seams: { scheduler: completionEarly } });
    expect(early.safe).toBe(false);
    expect(early.violations.map((v) => v.invariant)).toContain("drain-truthful");
  });
});
