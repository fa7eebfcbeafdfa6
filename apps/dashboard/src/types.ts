// The shapes the dashboard reads from the control API: @drainkit/client's
// wire types (type-only imports: nothing of the registry is bundled).
import type { PoolBudget } from "@drainkit/client";

export type { AuditEntry, Cluster, MoveChange, Page, Peer, PoolBudget, RegistryChange, Rollout, RolloutChange, WorkloadMove } from "@drainkit/client";

/** What `GET /ui/api/session` answers: who the token is, and the pool budgets the server enforces. */
export interface Session {
  readonly principal: { readonly id: string; readonly scopes: readonly string[] };
  readonly pools: readonly PoolBudget[];
}
