import { MOVES, moveKey, PEERS, PLACEMENTS, placementKey, workloadMoveKey } from "./keys.ts";
import type { WorkloadMove } from "./moves.ts";
import { livenessOf, type PeerRecord } from "./peerRecord.ts";
import type { PlacedWorkload, Placement } from "./types/placement.ts";
import type { StoreView } from "./StoreView.ts";

/**
 * One home per workload: of the workloads `peer` now reports that it did not
 * report before, those another live peer holds while no move brings them
 * here (the latest move of the workload is not one into `peer`), by where
 * each lives. A silent peer's placement is stale and holds nothing. Reads
 * other placements only when the report adds workloads.
 */
export async function workloadsElsewhere(view: StoreView, peer: string, placement: readonly PlacedWorkload[], now: number, staleAfterMs: number): Promise<Record<string, string>> {
  const before = (await view.getForWrite(placementKey(peer)))?.value as Placement | undefined;
  const had = new Set((before?.items ?? []).map((w) => w.id));
  const added = new Set(placement.map((w) => w.id).filter((id) => !had.has(id)));
  if (added.size === 0) return {};
  const holders: Record<string, string> = {};
  for (const item of (await view.listForWrite(PLACEMENTS)).items) {
    const p = item.value as Placement;
    if (p.peer === peer) continue;
    for (const w of p.items) if (added.has(w.id)) holders[w.id] ??= p.peer;
  }
  if (Object.keys(holders).length === 0) return {};
  const live = new Set<string>();
  for (const item of (await view.listForWrite(PEERS)).items) {
    const r = item.value as PeerRecord;
    if (livenessOf(r, now, staleAfterMs) === "live") live.add(r.id);
  }
  const latest = await latestMoves(view, Object.keys(holders));
  const elsewhere: Record<string, string> = {};
  for (const [workload, holder] of Object.entries(holders)) {
    const move = latest.get(workload);
    const movingHere = move !== undefined && move.to === peer && move.state !== "failed" && move.state !== "cancelled";
    if (live.has(holder) && !movingHere) elsewhere[workload] = holder;
  }
  return elsewhere;
}

/**
 * The latest move of each of `workloads`, by the `move-latest/<workload>`
 * index: point reads, whatever the number of moves kept. A workload with no
 * index entry (moves planned before the index existed) is looked up by
 * listing the moves, the one case that still scans.
 */
async function latestMoves(view: StoreView, workloads: readonly string[]): Promise<Map<string, WorkloadMove>> {
  const latest = new Map<string, WorkloadMove>();
  const unindexed = new Set<string>();
  for (const w of workloads) {
    const id = ((await view.getForWrite(workloadMoveKey(w)))?.value as { move?: string } | undefined)?.move;
    const move = id === undefined ? undefined : ((await view.getForWrite(moveKey(id)))?.value as WorkloadMove | undefined);
    if (move !== undefined) latest.set(w, move);
    else if (id === undefined) unindexed.add(w);
  }
  if (unindexed.size === 0) return latest;
  for (const item of (await view.listForWrite(MOVES)).items) {
    const m = item.value as WorkloadMove;
    if (!unindexed.has(m.workload)) continue;
    const seen = latest.get(m.workload);
    if (seen === undefined || m.createdAt > seen.createdAt) latest.set(m.workload, m);
  }
  return latest;
}
