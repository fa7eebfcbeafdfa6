// The shapes the dashboard reads from the control API. They are the
// registry's own types (type-only imports: nothing of the registry is bundled).
import type { PoolBudget } from "@drainkit/registry";

export type { AuditEntry, MoveChange, Page, Peer, PoolBudget, RegistryChange, Rollout, RolloutChange, WorkloadMove } from "@drainkit/registry";

/** What `GET /ui/api/session` answers: who the token is, and the pool budgets the server enforces. */
export interface Session {
  readonly principal: { readonly id: string; readonly scopes: readonly string[] };
  readonly pools: readonly PoolBudget[];
}
