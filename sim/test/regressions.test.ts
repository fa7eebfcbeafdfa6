// Every scenario under sim/scenarios/regressions/ states what it must
// produce (`expect:`) and, where it names one, a hand-written mutant the
// checks must catch on it. Each closes a hole the checks once had.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS_DIR, loadScenario, parseScenario, ScenarioError } from "../src/scenario/load.ts";
import { Simulation } from "../src/Simulation.ts";
import { mutants } from "./mutants.ts";

const dir = join(BUILTIN_SCENARIOS_DIR, "regressions");
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();

describe("regression scenarios", () => {
  for (const file of files.filter((f) => !f.endsWith(".invalid.yaml"))) {
    it(file, async () => {
      const scenario = loadScenario(join(dir, file));
      const want = scenario.expect!;
      expect(want, `${file} has no expect block`).toBeDefined();
      const r = await new Simulation(scenario, { stopAtFirstViolation: false }).run();
      const seen = [...new Set(r.invariantViolations.map((v) => v.invariant))].sort();
      if (want.violations !== undefined) expect(seen, JSON.stringify(r.invariantViolations.slice(0, 3))).toEqual([...want.violations].sort());
      if (want.status !== undefined) expect(r.status, JSON.stringify(r.blocked.slice(0, 5))).toBe(want.status);
      if (want.blockedPools !== undefined) expect([...new Set(r.blocked.map((b) => b.pool))].sort()).toEqual([...want.blockedPools].sort());
      if (want.status === "blocked") for (const b of r.blocked) expect(b.reason, `${b.node} is blocked without a reason`).not.toBe("");
      if (want.blockedReason !== undefined) for (const b of r.blocked) expect(b.reason).toContain(want.blockedReason);
      if (want.forcedBreaches !== undefined) expect(r.forcedBreaches).toBe(want.forcedBreaches);
      if (want.refusedAtLeast !== undefined) expect(r.drains.refused).toBeGreaterThanOrEqual(want.refusedAtLeast);
      if (want.cordonsRefused !== undefined) {
        expect(r.cordons.refused, JSON.stringify(r.cordons)).toBe(want.cordonsRefused);
        expect(r.cordons.refusals).toHaveLength(want.cordonsRefused);
        for (const c of r.cordons.refusals) expect(c.reason, `the cordon of ${c.node} is refused without a reason`).not.toBe("");
      }
      if (want.notUpgraded !== undefined) expect(r.notUpgraded).toBe(want.notUpgraded);
      if (want.controlPlaneDownMs !== undefined) expect(r.controlPlaneDownMs).toBe(want.controlPlaneDownMs);
      if (want.mutant !== undefined) {
        const mutant = mutants[want.mutant];
        expect(mutant, `no mutant named ${want.mutant} in test/mutants.ts`).toBeDefined();
        const m = await new Simulation(scenario, { ...mutant, stopAtFirstViolation: false }).run();
        const caught = m.invariantViolations.map((v) => v.invariant);
        expect(caught.some((i) => want.mutantViolations!.includes(i)), `mutant ${want.mutant} survived ${file}: ${JSON.stringify(caught)}`).toBe(true);
      }
    });
  }

  it("hung-participant-no-traffic.invalid.yaml is refused, naming the fault", () => {
    const file = join(dir, "hung-participant-no-traffic.invalid.yaml");
    expect(() => parseScenario(readFileSync(file, "utf8"), file)).toThrow(ScenarioError);
    expect(() => parseScenario(readFileSync(file, "utf8"), file)).toThrow(/faults\[0\]: hung-participant needs a traffic block/);
  });
});
