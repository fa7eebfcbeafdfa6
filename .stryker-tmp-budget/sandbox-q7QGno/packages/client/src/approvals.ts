/** What a staged change (an approval's `change`) would do, as clients read it off the wire. */
// @ts-nocheck

export interface StagedChangeSummary {
  readonly kind: string;
  readonly peer?: string;
  readonly cluster?: string;
  readonly rollout?: string;
  readonly patch?: Readonly<Record<string, unknown>>;
}

/**
 * What a staged change would do, in one phrase: the one wording drainctl and
 * the dashboard show for a change waiting for a second principal.
 *
 * @example
 * describeStagedChange({ kind: "drain", peer: "web-3" }); // "drain web-3"
 * describeStagedChange({ kind: "patchConfig", patch: { "maintenance.freeze": true } }); // "config maintenance.freeze=true"
 */
export function describeStagedChange(c: StagedChangeSummary): string {
  switch (c.kind) {
    case "cordon":
    case "drain":
      return `${c.kind} ${c.peer ?? ""}`;
    case "demote":
      return `demote cluster ${c.cluster ?? ""}`;
    case "patchConfig":
      return `config ${Object.entries(c.patch ?? {}).map(([k, v]) => `${k}=${v === null ? "(default)" : String(v)}`).join(", ")}`;
    case "abortRollout":
      return `abort rollout ${c.rollout ?? "(latest)"}`;
    default:
      return c.kind;
  }
}

/** A staged change as clients read it (`GET /control/approvals`, a verb's 202 waiting for approval, an `approval` event). */
export interface ApprovalSummary {
  readonly id: string;
  readonly state: string;
  readonly change: StagedChangeSummary;
  readonly reasons: readonly string[];
  readonly requiredScope: string;
  readonly requestedBy: { readonly id: string };
  readonly createdAt: number;
  readonly expiresAt: number;
}
