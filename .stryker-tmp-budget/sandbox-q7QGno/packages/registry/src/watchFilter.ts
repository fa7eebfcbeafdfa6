// @ts-nocheck
import type { MoveChange } from "./moves.ts";
import type { ApprovalChange } from "./types/approval.ts";
import type { RolloutChange } from "./rollouts.ts";
import type { RegistryChange } from "./types/change.ts";

/**
 * Which changes one watcher receives beside its kinds: with `peer`, peer
 * changes of other peers and moves neither from nor to it are left out;
 * with `movesOf` (an agent), only moves from or to that peer are sent. A
 * pruned move (no value) names no peer, so a filtered stream skips it.
 */
export interface ChangeFilter {
  readonly peer?: string;
  readonly movesOf?: string;
}

/**
 * True when `change` passes `filter`: the one watch filter of the control
 * plane, applied alike by REST's `/control/events` and gRPC's `WatchEvents`.
 *
 * @example
 * passesWatchFilter(change, { movesOf: "web-1" }); // moves from or to web-1, and every change of another kind
 */
export function passesWatchFilter(change: RegistryChange | RolloutChange | MoveChange | ApprovalChange, filter: ChangeFilter): boolean {
  if (change.kind === "peer") return filter.peer === undefined || change.id === filter.peer;
  if (change.kind !== "move") return true;
  for (const p of [filter.peer, filter.movesOf]) {
    if (p === undefined) continue;
    const m = change.value;
    if (m === undefined || (m.from !== p && m.to !== p)) return false;
  }
  return true;
}
