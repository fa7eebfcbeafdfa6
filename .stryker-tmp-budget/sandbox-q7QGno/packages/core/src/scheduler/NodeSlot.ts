// @ts-nocheck
import type { DrainRemaining, FleetDrainRecord, PlannedMove } from "./types.ts";

/**
 * The scheduler's mutable record of one node: what it holds, the moves in
 * flight off and onto it, and its drain. @internal
 */
export interface NodeSlot {
  readonly id: string;
  readonly order: number;
  readonly scope: string;
  pools: readonly string[];
  schedulable: boolean;
  up: boolean;
  readonly owners: Set<string>;
  readonly children: Set<string>;
  /** Ids of moves in flight onto this node. */
  readonly incoming: Set<string>;
  outgoing: number;
  drain: DrainState | undefined;
  lastEpoch: number;
}

/** One workload, where it is and the move in flight for it. @internal */
export interface WorkloadSlot {
  readonly id: string;
  readonly owner: string | undefined;
  node: string;
  move: PlannedMove | undefined;
}

/** One drain as the scheduler runs it. @internal */
export interface DrainState {
  readonly record: FleetDrainRecord;
  status: "draining" | "drained" | "failed";
  inFlight: number | undefined;
  reason: string | undefined;
  blocking: string[];
  lastReport: string;
  /** Start order among the scheduler's active drains (set when it becomes active). */
  seq: number;
}

/** Projected load: what the node will hold once the moves in flight settle. @internal */
export function load(n: NodeSlot): number {
  return n.owners.size + n.children.size + n.incoming.size - n.outgoing;
}

/** Whether the node takes new placements now: up, schedulable and not draining. @internal */
export function isEligible(n: NodeSlot): boolean {
  return n.up && n.schedulable && n.drain === undefined;
}

/** Empty, nothing moving off or onto it, and its participants reported idle. @internal */
export function isComplete(node: NodeSlot, d: DrainState): boolean {
  return node.owners.size === 0 && node.children.size === 0 && node.outgoing === 0 && node.incoming.size === 0 && d.inFlight === 0;
}

/** What a drain still waits for. @internal */
export function remainingOf(node: NodeSlot, d: DrainState): DrainRemaining {
  return { owners: node.owners.size, children: node.children.size, movesInFlight: node.outgoing + node.incoming.size, inFlight: d.inFlight };
}

/** What the drain waits for, when it changed since the drain last reported it (and marks it reported); else undefined. @internal */
export function newProgress(node: NodeSlot, d: DrainState): DrainRemaining | undefined {
  const remaining = remainingOf(node, d);
  const key = `${remaining.owners}/${remaining.children}/${remaining.movesInFlight}/${remaining.inFlight}`;
  if (key === d.lastReport) return undefined;
  d.lastReport = key;
  return remaining;
}

/** The first of `ids` with no move in flight. @internal */
export function firstIdle(workloads: ReadonlyMap<string, WorkloadSlot>, ids: ReadonlySet<string>): WorkloadSlot | undefined {
  for (const id of ids) {
    const w = workloads.get(id)!;
    if (w.move === undefined) return w;
  }
  return undefined;
}
