// @ts-nocheck
import type { Approval, StagedChange } from "../types/approval.ts";
import type { Scope } from "../types/principal.ts";

/** The settings of the two-person rule (config keys `approvals.*`). */
export interface ApprovalSettings {
  readonly enabled: boolean;
  /** A cordon or drain that leaves more than this many peers of a pool out of service needs approval. */
  readonly massPeers: number;
  /** … or more than this percentage of a pool's peers. */
  readonly massPercent: number;
}

/** One pool of the peer a cordon or drain touches: its size and how many of its peers would be out after the change. */
export interface PoolImpact {
  readonly pool: string;
  readonly members: number;
  /** Peers of the pool not active after the change (this one included). */
  readonly outAfter: number;
}

/** What {@link needsApproval} decided. */
export type ApprovalNeed =
  | { readonly required: false }
  | { readonly required: true; readonly reasons: readonly string[]; readonly scope: Scope };

/**
 * Whether `change` needs a second principal's approval: pure, so the server,
 * the simulator and a property test can ask it alike. Forced cordons and
 * drains, config edits, demotes and rollout aborts always do (while approvals
 * are enabled); a cordon or drain does when, in any of the peer's pools, more
 * than `massPeers` peers, or more than `massPercent` % of the pool, would be
 * out of service after it.
 *
 * @example
 * needsApproval({ kind: "drain", peer: "web-3", input: { reason: "kernel" } }, [{ pool: "web", members: 4, outAfter: 3 }], { enabled: true, massPeers: 5, massPercent: 50 });
 * // { required: true, reasons: ["pool web: 3 of 4 peers (75%) out of service, more than 50%"], scope: "mesh.operate" }
 */
export function needsApproval(change: StagedChange, pools: readonly PoolImpact[], settings: ApprovalSettings): ApprovalNeed {
  if (!settings.enabled) return { required: false };
  switch (change.kind) {
    case "patchConfig":
      return { required: true, reasons: ["config edits need a second principal"], scope: "mesh.admin" };
    case "demote":
      return { required: true, reasons: [`demoting cluster ${change.cluster} needs a second principal`], scope: "mesh.admin" };
    case "abortRollout":
      return { required: true, reasons: ["aborting a rollout needs a second principal"], scope: "mesh.operate" };
    case "cordon":
    case "drain": {
      const reasons: string[] = [];
      if (change.input.force === true) reasons.push(`a forced ${change.kind} needs a second principal`);
      for (const p of pools) {
        // Whole numbers on both sides, so no rounding decides a boundary.
        if (p.outAfter > settings.massPeers) reasons.push(`pool ${p.pool}: ${p.outAfter} peers out of service, more than ${settings.massPeers}`);
        else if (p.outAfter * 100 > settings.massPercent * p.members) {
          reasons.push(`pool ${p.pool}: ${p.outAfter} of ${p.members} peers (${Math.round((p.outAfter * 100) / p.members)}%) out of service, more than ${settings.massPercent}%`);
        }
      }
      if (reasons.length === 0) return { required: false };
      return { required: true, reasons, scope: change.input.force === true ? "mesh.admin" : "mesh.operate" };
    }
  }
}

/** The staged change in a few words, e.g. `drain web-2`, `config rollout.maxParallel=2`. */
export function describeChange(c: StagedChange): string {
  switch (c.kind) {
    case "cordon":
    case "drain":
      return `${c.kind} ${c.peer}`;
    case "demote":
      return `demote cluster ${c.cluster}`;
    case "patchConfig":
      return `config ${Object.entries(c.patch).map(([k, v]) => `${k}=${v === null ? "(default)" : String(v)}`).join(", ")}`;
    case "abortRollout":
      return `abort rollout ${c.rollout ?? "(latest)"}`;
  }
}

/**
 * What a second principal runs to decide `a`, with its real id: the `next` of
 * a staged answer (REST's 202 body, gRPC's `pending_approval`).
 *
 * @example
 * approvalNext(a); // "A second principal with mesh.operate approves it: drainctl approvals approve ap-1 --reason \"reviewed: drain web-2\" (POST /control/approvals/ap-1:approve), or rejects it with drainctl approvals reject ap-1 --reason …"
 */
export function approvalNext(a: Pick<Approval, "id" | "requiredScope" | "change">): string {
  const what = describeChange(a.change);
  return `A second principal with ${a.requiredScope} approves it: drainctl approvals approve ${a.id} --reason ${JSON.stringify(`reviewed: ${what}`)} (POST /control/approvals/${a.id}:approve), or rejects it: drainctl approvals reject ${a.id} --reason ${JSON.stringify(`not now: ${what}`)}.`;
}
