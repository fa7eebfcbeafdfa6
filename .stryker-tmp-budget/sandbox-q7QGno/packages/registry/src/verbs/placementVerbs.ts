// @ts-nocheck
import { PLACEMENTS, placementKey } from "../keys.ts";
import { hasScope, requireScope } from "../rbac.ts";
import type { PlacementReader } from "../roles.ts";
import type { Placement } from "../types/placement.ts";
import type { Principal } from "../types/principal.ts";
import { validateId } from "../validate.ts";
import { readPeerRecord } from "./peerMutation.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** Which workloads each peer holds; written by `reportStatus`, read here. */
export function placementVerbs(ctx: RegistryContext): PlacementReader {
  return {
    async getPlacement(principal: Principal, id: string): Promise<Placement> {
      // A peer's own agent reads what the registry holds for it; everyone else needs mesh.read.
      if (!(hasScope(principal, "mesh.agent") && principal.id === id)) requireScope(principal, "mesh.read", "getPlacement");
      validateId("id", id);
      await readPeerRecord(ctx, id);
      const got = await ctx.view.get(placementKey(id));
      return (got?.value as Placement | undefined) ?? { peer: id, items: [], version: 0, updatedAt: 0 };
    },

    async listPlacements(principal: Principal): Promise<readonly Placement[]> {
      requireScope(principal, "mesh.read", "listPlacements");
      const { items } = await ctx.view.list(PLACEMENTS);
      return items.map((i) => i.value as Placement);
    },
  };
}
