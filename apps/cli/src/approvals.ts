import type { Session } from "./session.ts";

/** A staged change as drainctl reads it (`/control/approvals`, or a verb's 202 waiting for approval). */
export interface Approval {
  readonly id: string;
  readonly state: string;
  readonly change: { readonly kind: string; readonly peer?: string; readonly cluster?: string; readonly rollout?: string; readonly patch?: Record<string, unknown> };
  readonly reasons: readonly string[];
  readonly requiredScope: string;
  readonly requestedBy: { readonly id: string };
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly decidedBy?: string;
  readonly decisionReason?: string;
  readonly result?: { readonly auditId?: string; readonly errorCode?: string; readonly message?: string };
  /** On a verb's 202: the command a second principal runs. */
  readonly next?: string;
}

/** True when a verb's answer is not the resource but a change waiting for a second principal's approval. */
export function isStaged(status: number, body: unknown): body is Approval {
  if (status !== 202 || typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b["id"] === "string" && b["state"] === "pending" && typeof b["change"] === "object" && typeof b["requiredScope"] === "string";
}

/** What the change would do, in one phrase. */
export function describeChange(c: Approval["change"]): string {
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

/** Tells the operator (stderr) that `a` waits for a second principal, and what to run. */
export function noteStaged(s: Session, a: Approval): void {
  const what = describeChange(a.change);
  const next = a.next ?? `drainctl approvals approve ${a.id} --reason ${JSON.stringify(`reviewed: ${what}`)}`;
  s.note(`${what}: waits for approval ${a.id} by a second principal with ${a.requiredScope} (${a.reasons.join("; ")}). ${next}`);
}

/** A verb answered 202 "waits for approval": the approval on stdout (its shape in -o json), the next step on stderr. */
export function printStaged(s: Session, a: Approval): void {
  noteStaged(s, a);
  s.print(a, () => `${a.id}\t${a.state}\t${describeChange(a.change)}\n`);
}
