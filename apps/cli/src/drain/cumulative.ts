import { decide, type PoolBudget, type PoolMember } from "@drainkit/core";
import { peerLiveness } from "../peers/fields.ts";
import type { Peer } from "../types.ts";

/** What the capacity guard would say about draining one peer after every earlier one of the set. */
export interface CumulativeVerdict {
  readonly peer: string;
  readonly outcome: "allowed" | "refused";
  /** The pool that refuses, with its numbers. */
  readonly pool?: string;
  readonly detail?: string;
}

/**
 * A peer as the guard counts it: unavailable when its agent is `unknown`
 * (liveness from the server) or its last heartbeat is older than `staleBefore`.
 */
function member(p: Peer, staleBefore: number | undefined): PoolMember {
  const stale = staleBefore !== undefined && p.status !== undefined && p.status.heartbeatAt < staleBefore;
  return {
    id: p.id,
    pools: p.pools,
    phase: p.phase,
    ...(p.phases === undefined ? {} : { roles: p.phases }),
    ...(peerLiveness(p) === "unknown" || stale ? { healthy: false } : {}),
  };
}

/**
 * The cumulative dry run: drains `order` one after the other in the guard of
 * @drainkit/core (the code the server admits with) over the given budgets, so
 * the second peer is judged with the first already out, as it would be for
 * real. A refused peer is not counted as drained for those after it.
 *
 * @example
 * cumulativeDrain(page.items, budgets, ["web-1", "web-2"]);
 * // [{ peer: "web-1", outcome: "allowed" }, { peer: "web-2", outcome: "refused", pool: "web", detail: "…" }]
 */
export function cumulativeDrain(peers: readonly Peer[], budgets: readonly PoolBudget[], order: readonly string[], staleBefore?: number): CumulativeVerdict[] {
  const fleet = { nodes: peers.map((p) => member(p, staleBefore)) };
  const taken: string[] = [];
  const out: CumulativeVerdict[] = [];
  for (const id of order) {
    const d = decide(budgets, fleet, { kind: "drain", node: [...taken, id] });
    if (d.outcome === "allowed") {
      taken.push(id);
      out.push({ peer: id, outcome: "allowed" });
      continue;
    }
    const n = d.pools.find((x) => x.availableAfter < x.required || x.schedulableAfter < x.requiredSchedulable);
    const earlier = taken.length > 0 ? ` after ${taken.join(", ")}` : "";
    out.push({
      peer: id,
      outcome: "refused",
      ...(n === undefined ? {} : { pool: n.pool }),
      detail: n === undefined ? d.error.message : `pool ${n.pool}: ${n.availableAfter} of ${n.total} left${earlier}, needs ${n.required}`,
    });
  }
  return out;
}
