import fc from "fast-check";
import { it } from "vitest";
import { scenarioToYaml } from "../src/scenario/load.ts";
import { Simulation } from "../src/Simulation.ts";
import { scenarioArb } from "./arbitraries.ts";
it("many", async () => {
  await fc.assert(fc.asyncProperty(scenarioArb, async (scenario) => {
    const r = await new Simulation(scenario).run();
    if (r.invariantViolations.length > 0) { const v = r.invariantViolations[0]!; throw new Error(`${v.invariant} at #${v.eventIndex}: ${v.message}\n${scenarioToYaml(scenario)}\n${r.violationTrace.slice(-12).map((t) => JSON.stringify(t)).join("\n")}`); }
  }), { seed: Number(process.env.S ?? 1), numRuns: 300 });
}, 600_000);
