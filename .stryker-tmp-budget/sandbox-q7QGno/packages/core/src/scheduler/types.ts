// @ts-nocheck
import type { PoolMember } from "../budget/types.ts";

/**
 * A node as the fleet logic sees it. `phase` is the node phase of the state
 * machine (or a role phase); `schedulable` says whether it takes new placements
 * and defaults to `phase === "active" && healthy !== false`.
 */
export interface FleetNode extends PoolMember {
  /** Takes new placements. Default: active and healthy. */
  readonly schedulable?: boolean;
  /** Drain scope (cluster, zone); at most `maxDrainsPerScope` targets drain at once per scope. Default `"default"`. */
  readonly scope?: string;
  /** Software version, read by the rollout planner. */
  readonly version?: string;
  /** The latest drain epoch the node has seen (e.g. the registry's); a rollout drains it under the next one. Default 0. */
  readonly epoch?: number;
}

/**
 * A unit of work placed on one node. Two tiers: an owner workload has no
 * `owner`; a child workload names the owner it belongs to (TiCDC's
 * maintainers and dispatchers).
 */
export interface Workload {
  readonly id: string;
  /** The node that owns it now. */
  readonly node: string;
  /** The owner workload this child belongs to; absent for an owner. */
  readonly owner?: string;
}

/** Nodes and the workloads placed on them. */
export interface FleetView {
  readonly nodes: readonly FleetNode[];
  readonly workloads?: readonly Workload[];
}

/**
 * What is persisted for one drain: the target, its epoch, when it started and
 * its deadline (epoch milliseconds). A scheduler rebuilt from these records and
 * the observed placement continues every drain where it stood. (The Fleet
 * issue's `DrainRecord`; named apart from the role machine's `RoleDrain`.)
 */
export interface FleetDrainRecord {
  readonly target: string;
  readonly epoch: number;
  readonly startedAt: number;
  readonly deadline: number;
  readonly scope: string;
}

/** A request to drain one node of its workloads. */
export interface FleetDrainRequest {
  readonly target: string;
  /** Epoch milliseconds by which the node must be empty and idle, or the drain fails. */
  readonly deadline: number;
  /** The drain's epoch (e.g. assigned by the registry); default: the target's last epoch + 1. A lower one is stale. */
  readonly epoch?: number;
}

/**
 * One move for the host to carry out, make before break: start `workload` on
 * `to`, report {@link DrainScheduler.moveCommitted} once it serves there (the
 * ownership flips at that instant), then stop it on `from`.
 */
export interface PlannedMove {
  readonly id: string;
  readonly workload: string;
  readonly tier: "owner" | "child";
  readonly from: string;
  readonly to: string;
  /** The drain target and epoch this move serves; absent for a balance move. */
  readonly drain?: { readonly target: string; readonly epoch: number };
}

/** Counts still standing between a drain and its completion. */
export interface DrainRemaining {
  readonly owners: number;
  readonly children: number;
  readonly movesInFlight: number;
  /** In-flight work its participants last reported; undefined before the first report. */
  readonly inFlight: number | undefined;
}

/** A drain as users inspect it. */
export interface FleetDrainStatus {
  readonly record: FleetDrainRecord;
  readonly status: "draining" | "drained" | "failed";
  readonly remaining: DrainRemaining;
  /** Why it failed, or what blocks it now. */
  readonly reason?: string;
  /** Workloads that have no possible destination now. */
  readonly blocking?: readonly string[];
}

/** Events the scheduler emits. */
export type DrainSchedulerEvent =
  | { readonly type: "fleet-drain-started"; readonly record: FleetDrainRecord }
  | { readonly type: "fleet-drain-progress"; readonly target: string; readonly epoch: number; readonly remaining: DrainRemaining }
  | { readonly type: "fleet-drain-completed"; readonly target: string; readonly epoch: number }
  | { readonly type: "fleet-drain-failed"; readonly target: string; readonly epoch: number; readonly reason: string; readonly remaining: DrainRemaining }
  | { readonly type: "fleet-move-failed"; readonly move: PlannedMove; readonly reason: string };
