// @ts-nocheck
import type { RolePhase } from "@drainkit/core";
import type { RoleView, RouteMember } from "../../src/index.ts";

/** A role view over a plain map, so strategies are tested without a router. */
export function fakeView(phases: Record<string, RolePhase>, load: Record<string, number> = {}): RoleView & { set(id: string, p: RolePhase | undefined): void } {
  const all = new Map<string, RouteMember>();
  let version = 0;
  const set = (id: string, p: RolePhase | undefined): void => {
    if (p === undefined) all.delete(id);
    else all.set(id, { id, address: `${id}:80`, role: "edge", phase: p, pools: [], labels: {}, epoch: 0 });
    version++;
  };
  for (const [id, p] of Object.entries(phases)) set(id, p);
  return {
    role: "edge",
    members: () => [...all.values()].filter((m) => m.phase === "active" || m.phase === "cordoned").sort((a, b) => a.id.localeCompare(b.id)),
    version: () => version,
    lookup: (id) => all.get(id),
    inFlight: (id) => load[id] ?? 0,
    set,
  };
}
