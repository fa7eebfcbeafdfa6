// @ts-nocheck
import { DrainkitError } from "@drainkit/core";
import type { InvariantViolation } from "../model/invariants.ts";
import { validateScenario, validateSnapshot } from "../scenario/load.ts";
import type { FleetSnapshot, Scenario, ScenarioAction, Span } from "../scenario/types.ts";
import { Simulation, type BlockedDrain, type SimulationOptions } from "../Simulation.ts";

/** What to try on a snapshot: drain these nodes (held drained), or a rolling upgrade. */
export type PlanAction =
  | { readonly drain: readonly string[] }
  | {
      readonly rollout: {
        /** Only members of this pool. */
        readonly pool?: string;
        /** Only nodes serving this role. */
        readonly role?: string;
        /** Nodes per wave at most (default: as many as every pool's budget allows). */
        readonly maxParallel?: number;
      };
    };

/** Timings of the what-if; the defaults are the simulator's. */
export interface PlanOptions {
  readonly seed?: number;
  /** Each drain's deadline, ms (default 120 s). */
  readonly deadlineMs?: number;
  /** Time to move one workload, ms (default 500 ms). */
  readonly moveMs?: Span;
  /** Time a rollout takes to upgrade one drained node, ms (default 30 s). */
  readonly upgradeMs?: Span;
  /** Give up after this much virtual time, ms (default 7 days). */
  readonly durationMs?: number;
  /** Named in errors about the snapshot, e.g. its file name. */
  readonly source?: string;
  /** Replaces core's guard or drain scheduler (tests: prove that a broken one makes the plan unsafe). */
  readonly seams?: Pick<SimulationOptions, "guard" | "scheduler">;
}

/** The answer of {@link simulatePlan}. */
export interface PlanResult {
  /** True when nothing blocks, no pool would be depleted, every drain ends drained and no invariant broke. */
  readonly safe: boolean;
  readonly action: "drain" | "rollout";
  /** The nodes the plan covers, in order. */
  readonly nodes: readonly string[];
  /** Pools whose budget refused a drain of the plan (it would take them below their budget) or that fell below it. */
  readonly depletedPools: readonly string[];
  /** Nodes that could not drain, and why. */
  readonly blocked: readonly BlockedDrain[];
  /** How long it would take: virtual ms from the start to the last drain (and upgrade) done; `durationMs` when it did not finish. */
  readonly simulatedMs: number;
  /** False when work remained at `durationMs`. */
  readonly finished: boolean;
  readonly drains: { readonly completed: number; readonly failed: number };
  /** Drains that failed, with the reason. */
  readonly failed: readonly { readonly node: string; readonly reason: string }[];
  /** Lowest available / total per pool during the run. */
  readonly minAvailability: Readonly<Record<string, number>>;
  readonly violations: readonly InvariantViolation[];
  readonly seed: number;
  /** Equal for the same snapshot, action and seed. */
  readonly hash: string;
}

const WEEK_MS = 7 * 24 * 3_600_000;

function planNodes(snapshot: FleetSnapshot, action: PlanAction): readonly string[] {
  if ("drain" in action) {
    const known = new Set(snapshot.nodes.map((n) => n.id));
    const unknown = action.drain.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new DrainkitError("unknown-node", `No node ${unknown.map((id) => `"${id}"`).join(", ")} in the fleet snapshot; name nodes it lists (drainctl peers list), or export it again (drainctl fleet export).`, {
        details: { unknown },
      });
    }
    if (action.drain.length === 0) throw new DrainkitError("empty-plan", "The drain names no node; give at least one node id.");
    return [...new Set(action.drain)];
  }
  const { pool, role } = action.rollout;
  const nodes = snapshot.nodes.filter((n) => (pool === undefined || n.pools.includes(pool)) && (role === undefined || n.roles.includes(role))).map((n) => n.id);
  if (nodes.length === 0) {
    const what = [pool === undefined ? "" : `pool "${pool}"`, role === undefined ? "" : `role "${role}"`].filter(Boolean).join(" and ");
    throw new DrainkitError("empty-plan", `No node of the snapshot is in ${what}; check the names (drainctl peers list --pool <pool>).`);
  }
  return nodes;
}

/**
 * The scenario that runs `action` on the snapshot's fleet: no generated
 * hosts, no traffic, no faults; the real guard, scheduler and rollout
 * controller decide.
 *
 * @example
 * const scenario = scenarioFromSnapshot(snapshot, { drain: ["web-1"] });
 * const report = await new Simulation(scenario).run();
 */
export function scenarioFromSnapshot(snapshot: FleetSnapshot, action: PlanAction, options: PlanOptions = {}): Scenario {
  const nodes = planNodes(snapshot, action);
  const pools = new Set(snapshot.nodes.map((n) => n.pools[0] ?? ""));
  const act: ScenarioAction =
    "drain" in action
      ? { type: "drain", at: 0, nodes }
      : {
          type: "rolling-upgrade",
          at: 0,
          nodes,
          ...(action.rollout.maxParallel === undefined ? {} : { maxParallel: action.rollout.maxParallel }),
          ...(options.upgradeMs === undefined ? {} : { upgradeMs: options.upgradeMs }),
        };
  return validateScenario(
    {
      name: "drain" in action ? "plan-drain" : "plan-rollout",
      durationMs: options.durationMs ?? WEEK_MS,
      fleet: { nodes: snapshot.nodes.length, pools: Math.max(1, pools.size), snapshot },
      budget: {},
      drain: {
        ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
        ...(options.moveMs === undefined ? {} : { moveMs: options.moveMs }),
      },
      actions: [act],
    },
    options.source ?? "(plan)",
  );
}

/**
 * What-if: runs a drain or a rolling upgrade on a fleet snapshot in the
 * simulator (the real capacity guard, drain scheduler and rollout controller,
 * on virtual time) and says whether any pool would be depleted, what would
 * block, and how long it would take. Touches nothing live.
 *
 * @example
 * const r = await simulatePlan(snapshot, { drain: ["web-1", "web-2"] });
 * if (!r.safe) console.log(r.depletedPools, r.blocked);
 * console.log(`${r.simulatedMs / 1000}s`);
 */
export async function simulatePlan(snapshot: unknown, action: PlanAction, options: PlanOptions = {}): Promise<PlanResult> {
  const valid = validateSnapshot(snapshot, options.source ?? "(snapshot)");
  const scenario = scenarioFromSnapshot(valid, action, options);
  const act = scenario.actions[0]!;
  const report = await new Simulation(scenario, { seed: options.seed ?? 1, ...options.seams }).run();
  const depleted = new Set<string>();
  for (const b of report.blocked) if (b.pool !== undefined) depleted.add(b.pool);
  for (const v of report.invariantViolations) if (v.invariant === "pool-availability" && v.pool !== undefined) depleted.add(v.pool);
  const depletedPools = [...depleted].sort();
  return {
    safe: depletedPools.length === 0 && report.blocked.length === 0 && report.drains.failed === 0 && report.invariantViolations.length === 0 && report.finished,
    action: act.type === "drain" ? "drain" : "rollout",
    nodes: act.type === "drain" || act.type === "rolling-upgrade" ? (act.nodes ?? []) : [],
    depletedPools,
    blocked: report.blocked,
    simulatedMs: report.finished ? report.workDoneMs : report.simulatedMs,
    finished: report.finished,
    drains: { completed: report.drains.completed, failed: report.drains.failed },
    failed: report.failedDrains,
    minAvailability: report.minAvailability,
    violations: report.invariantViolations,
    seed: report.seed,
    hash: report.hash,
  };
}
