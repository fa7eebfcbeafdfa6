// @ts-nocheck
import type { RoleView, RouteMember, Strategy } from "../types.ts";

/**
 * The routable member with the fewest requests in flight (counted by
 * `Balancer.acquire`). Ties rotate, so an idle pool is still spread evenly
 * instead of always hitting the first member.
 */
export function leastInFlight(): Strategy {
  let offset = 0;
  return {
    name: "least-in-flight",
    pick(view: RoleView): RouteMember | undefined {
      const members = view.members();
      const n = members.length;
      if (n === 0) return undefined;
      if (offset >= n) offset = 0;
      const start = offset++;
      let best: RouteMember | undefined;
      let bestLoad = Infinity;
      for (let i = 0; i < n; i++) {
        const m = members[(start + i) % n]!;
        const load = view.inFlight(m.id);
        if (load < bestLoad) {
          best = m;
          bestLoad = load;
          if (load === 0) break;
        }
      }
      return best;
    },
  };
}
