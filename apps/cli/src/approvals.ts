import { describeStagedChange, type ApprovalSummary } from "@drainkit/client";
import type { Session } from "./session.ts";

/** A staged change as drainctl reads it (`/control/approvals`, or a verb's 202 waiting for approval). */
export interface Approval extends ApprovalSummary {
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

/** What the change would do, in one phrase (the client's one wording). */
export const describeChange: (c: Approval["change"]) => string = describeStagedChange;

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
