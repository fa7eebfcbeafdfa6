/**
 * @drainkit/sim: a deterministic discrete-event simulator that drives the real
 * @drainkit/core (capacity guard, drain scheduler, drain coordinators, rollout
 * controller) on virtual time, at thousand-node scale and beyond.
 *
 * @example
 * import { Simulation, loadScenario } from "@drainkit/sim";
 * const report = await new Simulation(loadScenario("rolling-1k"), { seed: 7 }).run();
 * report.invariantViolations; // []
 */
export { Simulation, type SimulationOptions, type SimReport, type TraceRecord, type Sample, type GuardPort, type SchedulerPort, type BlockedDrain, type RefusedCordon } from "./Simulation.ts";
export { FullStackSimulation, type FullStackOptions } from "./fullstack/FullStackSimulation.ts";
export { runScenario, modeOf, type SimMode } from "./fullstack/runScenario.ts";
export { simulatePlan, scenarioFromSnapshot, type PlanAction, type PlanOptions, type PlanResult } from "./plan/simulatePlan.ts";
export { Engine, SIM_EPOCH_MS, settle, type EventHandler } from "./engine/Engine.ts";
export { EventQueue } from "./engine/EventQueue.ts";
export { runMM1, type MM1Result } from "./engine/mm1.ts";
export { loadScenario, locateScenario, parseScenario, validateScenario, validateSnapshot, parseSnapshot, scenarioToYaml, ScenarioError, BUILTIN_SCENARIOS_DIR } from "./scenario/load.ts";
export { scenarioSchema, snapshotSchema } from "./scenario/schema.ts";
export type { Scenario, ScenarioAction, ScenarioExpectation, ScenarioFault, Span, BudgetValue, FleetSnapshot, SnapshotNode, SnapshotPool } from "./scenario/types.ts";
export { type InvariantName, type InvariantViolation, isLegalPhaseChange } from "./model/invariants.ts";
export { HostParticipant } from "./model/traffic.ts";
export { sweep, parseSeeds, type SweepSummary, type SeedResult } from "./sweep/sweep.ts";
export { humanSummary, jsonReport, replayCommand } from "./report/summary.ts";
export { requiredMembers, servesTraffic } from "./model/budgetOracle.ts";
export { htmlReport, type HtmlReportOptions } from "./report/html.ts";
