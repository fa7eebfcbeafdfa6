import { describeStagedChange, type ApprovalSummary } from "@drainkit/client";
import { escapeXml as esc } from "@drainkit/charts";

/** A staged change as the page reads it (`GET /control/approvals`, or an `approval` event of the feed). */
export interface Approval extends ApprovalSummary {
  readonly request?: { readonly reason?: string; readonly ticket?: string };
}

/** What the change would do, in one phrase (the client's one wording). */
export const describeChange: (c: Approval["change"]) => string = describeStagedChange;

/** Keeps `list` current with one feed event: the newest version of each approval, pending ones only. */
export function withApproval(list: readonly Approval[], id: string, value: Approval | undefined): Approval[] {
  const others = list.filter((a) => a.id !== id);
  return value !== undefined && value.state === "pending" ? [value, ...others].sort((a, b) => b.createdAt - a.createdAt) : others;
}

/** True when a verb's answer is a change waiting for approval rather than the resource. */
export function isPendingApproval(body: unknown): body is Approval {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b["id"] === "string" && b["state"] === "pending" && typeof b["change"] === "object" && typeof b["requiredScope"] === "string";
}

const holds = (scopes: readonly string[], needed: string): boolean => scopes.includes("mesh.admin") || (needed !== "mesh.admin" && scopes.includes(needed));

/**
 * The pending changes, each with Approve / Reject for a second operator: the
 * requester is offered only Reject (withdraw), a principal without the
 * change's scope neither.
 */
export function approvalsHtml(pending: readonly Approval[], me: { readonly id: string; readonly scopes: readonly string[] }, act: boolean, now: number): string {
  if (pending.length === 0) return `<p class="empty">No change waits for approval.</p>`;
  const rows = pending
    .map((a) => {
      const mine = a.requestedBy.id === me.id;
      const may = act && holds(me.scopes, a.requiredScope);
      const buttons = `${may && !mine ? `<button type="button" data-verb="approve-change" data-target="${esc(a.id)}">Approve</button>` : ""}${may || (act && mine) ? `<button type="button" data-verb="reject-change" data-target="${esc(a.id)}">${mine ? "Withdraw" : "Reject"}</button>` : ""}`;
      const left = Math.max(0, Math.ceil((a.expiresAt - now) / 60_000));
      return `<tr data-approval="${esc(a.id)}"><th>${esc(a.id)}</th><td>${esc(describeChange(a.change))}</td><td>${esc(a.requestedBy.id)}${a.request?.reason ? ` <span class="muted">(${esc(a.request.reason)})</span>` : ""}</td><td class="muted">${esc(a.reasons.join("; "))}</td><td>needs ${esc(a.requiredScope)}${mine ? ` <span class="muted">· yours: a second principal approves</span>` : ""}</td><td class="muted">expires in ${left} min</td><td>${buttons}</td></tr>`;
    })
    .join("");
  return `<table class="approvals"><tbody>${rows}</tbody></table>`;
}
