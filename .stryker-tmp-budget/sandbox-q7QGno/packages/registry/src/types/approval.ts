/** Staged approvals (the two-person rule): a destructive change waits for a second principal. */
// @ts-nocheck

import type { CordonInput, DrainInput } from "./drain.ts";
import type { Scope } from "./principal.ts";

/** A change that may need a second principal's approval before it is applied. */
export type StagedChange =
  | { readonly kind: "cordon"; readonly peer: string; readonly input: CordonInput }
  | { readonly kind: "drain"; readonly peer: string; readonly input: DrainInput }
  | { readonly kind: "patchConfig"; readonly patch: Readonly<Record<string, unknown>> }
  | { readonly kind: "demote"; readonly cluster: string }
  | { readonly kind: "abortRollout"; readonly rollout?: string };

/** Where an approval stands. `approved` is the short step between the approval and the change's outcome. */
export type ApprovalState = "pending" | "approved" | "applied" | "failed" | "rejected" | "expired";

/** A pending (or decided) change and who did what to it. */
export interface Approval {
  readonly id: string;
  readonly state: ApprovalState;
  readonly change: StagedChange;
  /** Why the change needs approval, one line per rule that fired. */
  readonly reasons: readonly string[];
  /** The scope an approver must hold (the scope the change itself needs). */
  readonly requiredScope: Scope;
  /** The requester: the change is applied as this principal. */
  readonly requestedBy: { readonly id: string; readonly scopes: readonly Scope[] };
  /** The requester's reason, ticket, confirm and If-Match, applied with the change. */
  readonly request: { readonly reason?: string; readonly ticket?: string; readonly confirm?: boolean; readonly ifMatch?: string };
  readonly createdAt: number;
  /** Epoch ms after which a pending approval can no longer be approved. */
  readonly expiresAt: number;
  /** The second principal's decision (approve or reject) and its reason. */
  readonly decidedBy?: string;
  readonly decidedAt?: number;
  readonly decisionReason?: string;
  /** Once applied or failed: the audit id of the change, or the error that refused it (e.g. the capacity guard's). */
  readonly result?: { readonly auditId?: string; readonly errorCode?: string; readonly message?: string };
  /** Bumped on every write; the ETag is `"<version>"`. */
  readonly version: number;
}

/** Filters of {@link ApprovalStore.listApprovals}. */
export interface ApprovalQuery {
  readonly state?: ApprovalState;
}

/** A change to an approval on the change feed (`watchAll`). */
export interface ApprovalChange {
  readonly revision: number;
  readonly kind: "approval";
  readonly id: string;
  readonly value: Approval | undefined;
}

/** What one expiry sweep did. */
export interface ApprovalExpiry {
  /** Ids of the approvals this call expired. */
  readonly expired: readonly string[];
}
