import type { PlannedMove } from "@drainkit/core";
import type { Peer, Placement, WorkloadMove } from "@drainkit/registry";

/** What a new planner knows after reading the registry: per peer and per workload, before any change arrives. */
export interface RebuiltFleet {
  /** Peer versions read: replayed history older than these never moves state back. */
  readonly peerVersions: Map<string, number>;
  /** Each peer's phase. */
  readonly phases: Map<string, string>;
  /** What each peer last reported it holds. */
  readonly reported: Map<string, ReadonlySet<string>>;
  /** The placement version applied per peer (0: never reported). */
  readonly appliedPlacement: Map<string, number>;
  /** A child workload's owner, for the persisted move. */
  readonly owners: Map<string, string>;
  /** Where each workload is. */
  readonly at: Map<string, { readonly node: string; readonly owner?: string }>;
}

/**
 * Where each workload is, from the peers, their placements and every
 * persisted move. Agents report placement on a heartbeat, so a report may
 * predate the workload's latest move: a move newer than a peer's report wins
 * over it (`serving` / `done`: at its destination; `starting` / `failed`: at
 * its source), or a workload that just moved would be moved again off its
 * old host and run twice.
 */
export function rebuildFleet(peers: readonly Peer[], placements: ReadonlyMap<string, Placement>, allMoves: readonly WorkloadMove[]): RebuiltFleet {
  const latest = new Map<string, WorkloadMove>();
  for (const m of allMoves) {
    const seen = latest.get(m.workload);
    if (seen === undefined || m.updatedAt > seen.updatedAt || (m.updatedAt === seen.updatedAt && m.generation > seen.generation)) latest.set(m.workload, m);
  }
  const fleet: RebuiltFleet = { peerVersions: new Map(), phases: new Map(), reported: new Map(), appliedPlacement: new Map(), owners: new Map(), at: new Map() };
  const { at, owners } = fleet;
  for (const m of latest.values()) if (m.state === "starting" || m.state === "serving") at.set(m.workload, { node: m.state === "serving" ? m.to : m.from, ...(m.owner === undefined ? {} : { owner: m.owner }) });
  for (const m of allMoves) if ((m.state === "starting" || m.state === "serving") && m.owner !== undefined) owners.set(m.workload, m.owner);
  for (const p of peers) {
    fleet.peerVersions.set(p.id, p.version);
    fleet.phases.set(p.id, p.phase);
    const placement = placements.get(p.id);
    const held = placement?.items ?? [];
    fleet.reported.set(p.id, new Set(held.map((w) => w.id)));
    fleet.appliedPlacement.set(p.id, placement?.version ?? 0);
    // The list was last rewritten then (a heartbeat repeating it writes nothing): any move since is newer news.
    const reportedAt = placement?.updatedAt ?? 0;
    for (const w of held) {
      if (w.owner !== undefined) owners.set(w.id, w.owner);
      if (at.has(w.id)) continue;
      const m = latest.get(w.id);
      const movedSince = m !== undefined && m.updatedAt >= reportedAt;
      const there = m === undefined ? p.id : m.state === "done" || m.state === "serving" ? m.to : m.from;
      // A stale report of a workload that has since moved elsewhere places it where the move put it.
      at.set(w.id, { node: movedSince ? there : p.id, ...(w.owner === undefined ? {} : { owner: w.owner }) });
    }
  }
  return fleet;
}

/** A persisted move as core's scheduler plans and adopts it. */
export function plannedOf(m: WorkloadMove): PlannedMove {
  return { id: m.id, workload: m.workload, tier: m.tier, from: m.from, to: m.to, ...(m.drain === undefined ? {} : { drain: m.drain }) };
}
