/**
 * Events the role machine accepts. `drained` and `fail` carry the epoch they
 * report on: one older than the role's current drain is stale and ignored (a
 * no-op), so a late report from an earlier drain can never move a newer one.
 */
// @ts-nocheck

export type RoleEvent =
  | { readonly type: "cordon"; readonly owner: string; readonly reason: string; readonly expiresAt?: number }
  | { readonly type: "uncordon"; readonly owner: string }
  | {
      readonly type: "drain";
      readonly reason: string;
      readonly deadline: number;
      /** Omit to take the next epoch; an epoch not above the role's latest is stale and ignored. */
      readonly epoch?: number;
      readonly owner?: string;
      readonly expiresAt?: number;
    }
  | { readonly type: "drained"; readonly epoch?: number }
  | { readonly type: "fail"; readonly reason: string; readonly epoch?: number }
  | { readonly type: "resume" };

export type RoleEventType = RoleEvent["type"];
