import { Simulation } from "../Simulation.ts";
import type { Scenario } from "../scenario/types.ts";
import type { SimReport, SimulationOptions } from "../simulation/types.ts";

/** `core`: core driven, the control plane and agents modelled; `full-stack`: the shipped registry, controllers and agents. */
export type SimMode = "core" | "full-stack";

/** The mode a run uses: `override` (`--mode`), else the scenario's `mode:`, else core. */
export function modeOf(scenario: Scenario, override?: SimMode): SimMode {
  return override ?? scenario.mode ?? "core";
}

/**
 * Runs `scenario` in its mode (or `options.mode`). Full-stack mode takes the
 * seed, node count, trace and progress options; core mode takes them all.
 * The full-stack simulation is loaded only when a run asks for it: a core-mode
 * run does not load the registry, the control plane, the agents or the HTTP
 * client (about half of the modules a start-up loaded, and most of its time).
 *
 * @example
 * const report = await runScenario(loadScenario("rolling-1k"), { seed: 7, mode: "full-stack" });
 */
export async function runScenario(scenario: Scenario, options: SimulationOptions & { readonly mode?: SimMode } = {}): Promise<SimReport> {
  const { mode, ...rest } = options;
  if (modeOf(scenario, mode) === "core") {
    const partition = scenario.faults?.find((f) => f.type === "agent-partition");
    if (partition !== undefined) throw new Error(`fault "agent-partition" needs the full-stack mode (--mode full-stack): the core mode has no network between agents and the control plane`);
    return new Simulation(scenario, rest).run();
  }
  const { FullStackSimulation } = await import("./FullStackSimulation.ts");
  return new FullStackSimulation(scenario, {
    ...(rest.seed === undefined ? {} : { seed: rest.seed }),
    ...(rest.nodes === undefined ? {} : { nodes: rest.nodes }),
    ...(rest.trace === undefined ? {} : { trace: rest.trace }),
    ...(rest.onProgress === undefined ? {} : { onProgress: rest.onProgress }),
    ...(rest.stopAtFirstViolation === undefined ? {} : { stopAtFirstViolation: rest.stopAtFirstViolation }),
  }).run();
}
