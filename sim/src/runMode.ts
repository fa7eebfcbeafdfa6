import { Simulation } from "./Simulation.ts";
import type { SimMode } from "./fullstack/runScenario.ts";
import type { Scenario } from "./scenario/types.ts";
import type { SimReport, SimulationOptions } from "./simulation/types.ts";

/**
 * `runScenario` for the CLI and the sweep workers, with the full-stack mode
 * loaded only when a run asks for it: a core-mode run does not load the
 * registry, the control plane, the agents or the HTTP client (about half of
 * the modules a start-up loaded, and most of its time). The mode is chosen as
 * `runScenario` chooses it (`--mode`, else the scenario's `mode:`, else core);
 * every case but a plain core run goes through `runScenario` itself.
 */
export async function runInMode(scenario: Scenario, options: SimulationOptions & { readonly mode?: SimMode } = {}): Promise<SimReport> {
  const { mode, ...rest } = options;
  const core = (mode ?? scenario.mode ?? "core") === "core" && !(scenario.faults ?? []).some((f) => f.type === "agent-partition");
  if (core) return new Simulation(scenario, rest).run();
  const { runScenario } = await import("./fullstack/runScenario.ts");
  return runScenario(scenario, options);
}
