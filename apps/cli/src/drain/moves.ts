import type { WorkloadMove } from "../types.ts";

/** How the workload moves of one drain stand. */
export interface MoveCounts {
  /** `starting` or `serving`: the source still holds the workload or a copy of it. */
  readonly inFlight: number;
  readonly done: number;
  readonly failed: number;
  /** The most recent failed move, to show why work is stuck. */
  readonly lastFailure?: { readonly workload: string; readonly reason: string };
}

/** True when `move` moves a workload off `peer` for its drain of `epoch` (not a balancing move, not an older drain's). */
export function servesDrain(move: WorkloadMove, peer: string, epoch: number): boolean {
  return move.from === peer && move.drain?.target === peer && move.drain.epoch === epoch;
}

/**
 * Counts the moves of `peer`'s drain of `epoch` among `moves` (any peers,
 * any drains). A failed move is planned again under a new id, so a workload
 * can count once as failed and once more as in flight or done.
 *
 * @example
 * countMoves(await listMoves(client, { peer: "web-1" }), "web-1", 3); // { inFlight: 2, done: 5, failed: 1, lastFailure: { workload: "db-3", reason: "volume full" } }
 */
export function countMoves(moves: Iterable<WorkloadMove>, peer: string, epoch: number): MoveCounts {
  let inFlight = 0;
  let done = 0;
  let failed = 0;
  let last: WorkloadMove | undefined;
  for (const m of moves) {
    if (!servesDrain(m, peer, epoch)) continue;
    if (m.state === "done") done++;
    else if (m.state === "failed") {
      failed++;
      if (last === undefined || m.updatedAt > last.updatedAt || (m.updatedAt === last.updatedAt && m.id > last.id)) last = m;
    } else inFlight++;
  }
  return { inFlight, done, failed, ...(last === undefined ? {} : { lastFailure: { workload: last.workload, reason: last.reason ?? "no reason given" } }) };
}

/** Keeps the newest generation of each move, whatever order the list and the event feed deliver them in. */
export function mergeMove(into: Map<string, WorkloadMove>, move: WorkloadMove): boolean {
  const known = into.get(move.id);
  if (known !== undefined && known.generation >= move.generation) return false;
  into.set(move.id, move);
  return true;
}

/** "in flight 2, done 5, failed 1 (last: db-3: volume full)". */
export function describeCounts(c: MoveCounts): string {
  return `moves in flight ${c.inFlight}, done ${c.done}, failed ${c.failed}${c.lastFailure === undefined ? "" : ` (last: ${c.lastFailure.workload}: ${c.lastFailure.reason})`}`;
}
