// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { CapacityGuard } from "@drainkit/core";
import { completionEarly as earlyScheduler } from "./mutants.ts";
import { scenarioToYaml, validateScenario } from "../src/scenario/load.ts";
import { Simulation, type GuardPort, type SimulationOptions } from "../src/Simulation.ts";
import { humanSummary, jsonReport } from "../src/report/summary.ts";
import { htmlReport } from "../src/report/html.ts";
import type { Scenario } from "../src/scenario/types.ts";
import { scenarioArb } from "./arbitraries.ts";

/** A guard that ignores minAvailable / maxUnavailable: whatever core refuses, it allows. */
const brokenGuard = (pools: ConstructorParameters<typeof CapacityGuard>[0]["pools"]): GuardPort => {
  const real = new CapacityGuard({ pools });
  return {
    admit: (fleet, request) => {
      const d = real.admit(fleet, request);
      return d.outcome === "allowed" ? d : { outcome: "allowed", forced: false, pools: d.pools };
    },
  };
};

const contended: Scenario = validateScenario({
  name: "contended",
  durationMs: 3_600_000,
  fleet: { nodes: 40, pools: 2 },
  budget: { minAvailable: "80%" },
  traffic: { ratePerNode: 20, serviceMs: 300, tickMs: 500 },
  actions: [{ type: "concurrent-drains", at: 0, operators: 20, drainsPerOperator: 1, holdMs: 30_000, retryMs: 1_000 }],
});

/** Shrinks a failing scenario with fast-check and returns the minimal one with its violation. */
async function shrinkFailure(options: SimulationOptions, invariants: readonly string[]): Promise<{ scenario: Scenario; invariant: string }> {
  const result = await fc.check(
    fc.asyncProperty(scenarioArb, async (scenario) => {
      const r = await new Simulation(scenario, options).run();
      return !r.invariantViolations.some((v) => invariants.includes(v.invariant));
    }),
    fcParams({ seed: 42, numRuns: 200 }),
  );
  expect(result.failed).toBe(true);
  const scenario = result.counterexample![0];
  const r = await new Simulation(scenario, options).run();
  const v = r.invariantViolations[0]!;
  console.log(`minimal failing scenario (${v.invariant} at event #${v.eventIndex}; fast-check seed ${result.seed}, path ${result.counterexamplePath}):\n${scenarioToYaml(scenario)}`);
  return { scenario, invariant: v.invariant };
}

describe("the invariants can fail", () => {
  it("the real guard keeps the contended pools within budget", async () => {
    const r = await new Simulation(contended, { seed: 1 }).run();
    expect(r.invariantViolations).toEqual([]);
  });

  it("catch a guard that ignores minAvailable, and shrink it to a minimal scenario", async () => {
    const r = await new Simulation(contended, { seed: 1, guard: brokenGuard, sampleEveryMs: 1_000 }).run();
    expect(r.invariantViolations.map((v) => v.invariant)).toContain("pool-availability");
    expect(r.violationTrace.length).toBeGreaterThan(0);
    // What a user sees: the seed, the event index, the trace, and how to replay it.
    const v = r.invariantViolations[0]!;
    const text = humanSummary(r);
    expect(text).toContain(`INVARIANT VIOLATED: pool-availability at event #${v.eventIndex}`);
    expect(text).toContain("--seed 1");
    expect(text).toContain(JSON.stringify(r.violationTrace.at(-1)));
    expect(jsonReport(r)).toMatchObject({ scenario: "contended", seed: 1, invariantViolations: [v] });
    const html = htmlReport(r);
    expect(html).toContain("<svg");
    expect(html).toContain("pool-availability");
    expect(html).not.toMatch(/<script|https?:\/\/(?!drainkit)/);
    const { scenario, invariant } = await shrinkFailure({ guard: brokenGuard }, ["pool-availability"]);
    expect(invariant).toBe("pool-availability");
    expect(scenario.fleet.nodes).toBeLessThanOrEqual(8);
  });

  it("catch a scheduler that reports completion early, and shrink it to a minimal scenario", async () => {
    const r = await new Simulation(contended, { seed: 1, scheduler: earlyScheduler }).run();
    // Caught the moment it reports, not later when a host is stopped.
    expect(r.invariantViolations[0]?.invariant).toBe("drain-truthful");
    const { scenario, invariant } = await shrinkFailure({ scheduler: earlyScheduler }, ["drain-truthful"]);
    expect(invariant).toBe("drain-truthful");
    expect(scenario.fleet.nodes).toBeLessThanOrEqual(8);
  });
});
