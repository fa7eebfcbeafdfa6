import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { humanSummary, jsonReport } from "../../src/report/summary.ts";
import { BUILTIN_SCENARIOS_DIR, loadScenario } from "../../src/scenario/load.ts";
import { Simulation } from "../../src/Simulation.ts";

describe("the report of refused cordons", () => {
  it("counts each cordon the guard refused and lists it with its owner, pool and reason, in --json and in the summary", async () => {
    const r = await new Simulation(loadScenario(join(BUILTIN_SCENARIOS_DIR, "regressions", "cordon-refused.yaml"))).run();
    const json = jsonReport(r) as { cordons: { cordoned: number; refused: number; refusals: { node: string; owner: string; pool?: string; reason: string }[] } };
    // 4 schedulable members, 3 must stay schedulable, 4 cordons asked while the first is held: each is placed (on the held node: no worse) or refused.
    expect(json.cordons.cordoned + json.cordons.refused).toBe(4);
    expect(json.cordons.refused).toBeGreaterThan(0);
    const text = humanSummary(r);
    expect(text).toContain(`guard refused ${json.cordons.refused} cordon(s)`);
    for (const c of json.cordons.refusals) {
      expect(c.pool).toBe("web");
      expect(c.reason).toMatch(/schedulable/);
      expect(text).toContain(`cordon of ${c.node} by ${c.owner} refused (pool web): ${c.reason}`);
    }
    expect(text).not.toContain("every action finished its work");
  });
});
