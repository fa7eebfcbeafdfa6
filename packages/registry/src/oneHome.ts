import { MOVES, moveKey, PLACEMENTS, peerKey, placementKey, workloadMoveKey } from "./keys.ts";
import type { WorkloadMove } from "./moves.ts";
import { livenessOf, type PeerRecord } from "./peerRecord.ts";
import type { PlacedWorkload, Placement } from "./types/placement.ts";
import type { StoreView } from "./StoreView.ts";

/**
 * One home per workload: of the workloads `peer` now reports that it did not
 * report before, those another live peer holds while no move brings them
 * here (the latest move of the workload is not one into `peer`), by where
 * each lives. A silent peer's placement is stale and holds nothing.
 *
 * Cheapest question first: the workloads a move brings here (every one a
 * destination adds during a drain) are settled by point reads of their
 * latest move, so a report costs what it adds, whatever the fleet's size.
 * Only workloads that arrive with no move (a first report, a workload
 * started outside the planner) are looked for in the other peers'
 * placements, which lists them.
 */
export async function workloadsElsewhere(view: StoreView, peer: string, placement: readonly PlacedWorkload[], now: number, staleAfterMs: number): Promise<Record<string, string>> {
  const before = (await view.getForWrite(placementKey(peer)))?.value as Placement | undefined;
  const had = new Set((before?.items ?? []).map((w) => w.id));
  const added = placement.map((w) => w.id).filter((id) => !had.has(id));
  if (added.length === 0) return {};
  const { latest, unindexed } = await indexedLatestMoves(view, added);
  const movingHere = (w: string): boolean => {
    const move = latest.get(w);
    return move !== undefined && move.to === peer && move.state !== "failed" && move.state !== "cancelled";
  };
  const arriving = new Set(added.filter((w) => !movingHere(w)));
  if (arriving.size === 0) return {};
  const holders: Record<string, string> = {};
  for (const item of (await view.listForWrite(PLACEMENTS)).items) {
    const p = item.value as Placement;
    if (p.peer === peer) continue;
    for (const w of p.items) if (arriving.has(w.id)) holders[w.id] ??= p.peer;
  }
  if (Object.keys(holders).length === 0) return {};
  const live = new Set<string>();
  for (const holder of new Set(Object.values(holders))) {
    const r = (await view.getForWrite(peerKey(holder)))?.value as PeerRecord | undefined;
    if (r !== undefined && livenessOf(r, now, staleAfterMs) === "live") live.add(holder);
  }
  // Moves planned before the latest-move index existed: looked up by listing the moves, the one case that still scans them.
  const legacy = Object.keys(holders).filter((w) => unindexed.has(w) && live.has(holders[w]!));
  if (legacy.length > 0) for (const [w, m] of await scannedLatestMoves(view, legacy)) latest.set(w, m);
  const elsewhere: Record<string, string> = {};
  for (const [workload, holder] of Object.entries(holders)) if (live.has(holder) && !movingHere(workload)) elsewhere[workload] = holder;
  return elsewhere;
}

/**
 * The latest move of each of `workloads`, by the `move-latest/<workload>`
 * index: point reads, whatever the number of moves kept. `unindexed`: the
 * workloads with no index entry (never moved, or moved before the index existed).
 */
async function indexedLatestMoves(view: StoreView, workloads: readonly string[]): Promise<{ latest: Map<string, WorkloadMove>; unindexed: Set<string> }> {
  const latest = new Map<string, WorkloadMove>();
  const unindexed = new Set<string>();
  for (const w of workloads) {
    const id = ((await view.getForWrite(workloadMoveKey(w)))?.value as { move?: string } | undefined)?.move;
    const move = id === undefined ? undefined : ((await view.getForWrite(moveKey(id)))?.value as WorkloadMove | undefined);
    if (move !== undefined) latest.set(w, move);
    else if (id === undefined) unindexed.add(w);
  }
  return { latest, unindexed };
}

/** The latest move of each of `workloads` found by listing every move kept. */
async function scannedLatestMoves(view: StoreView, workloads: readonly string[]): Promise<Map<string, WorkloadMove>> {
  const wanted = new Set(workloads);
  const latest = new Map<string, WorkloadMove>();
  for (const item of (await view.listForWrite(MOVES)).items) {
    const m = item.value as WorkloadMove;
    if (!wanted.has(m.workload)) continue;
    const seen = latest.get(m.workload);
    if (seen === undefined || m.createdAt > seen.createdAt) latest.set(m.workload, m);
  }
  return latest;
}
