import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { scenarioToYaml } from "../src/scenario/load.ts";
import { Simulation } from "../src/Simulation.ts";
import { scenarioArb } from "./arbitraries.ts";

describe("invariants hold on generated scenarios", () => {
  it("no invalid transition, no depleted pool, nothing lost, every drain ends in time, epochs rise", async () => {
    // A failure shrinks to a minimal scenario, printed as a scenario file to replay with `pnpm sim -- run file.yaml`.
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const sim = new Simulation(scenario);
        const r = await sim.run();
        if (r.invariantViolations.length > 0) {
          const v = r.invariantViolations[0]!;
          throw new Error(`${v.invariant} at event #${v.eventIndex}: ${v.message}\n--- scenario.yaml ---\n${scenarioToYaml(scenario)}`);
        }
        expect(r.lostRequests).toBe(0);
        expect(r.lostWorkloads).toBe(0);
        // Requests are conserved through the per-pool aggregates and the hosts that leave them.
        const q = r.requests;
        expect(q.arrived).toBe(q.served + q.unroutable + q.refused + q.lostOnCrash + r.lostRequests + (sim.traffic?.totalInFlight() ?? 0));
      }),
      // The mutation run (vitest.mutation.config.ts) asks for fewer runs; 40 otherwise.
      fcParams({ seed: 20261123, numRuns: Number(process.env["SIM_PROPERTY_RUNS"] ?? 40) }),
    );
  });
});
