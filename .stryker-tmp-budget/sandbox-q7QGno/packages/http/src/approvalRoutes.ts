// @ts-nocheck
import { approvalNext, type Approval, type ApprovalQuery, type ApprovalState, type StagedChange } from "@drainkit/registry";
import type { RouteContext, RouteDefinition, RouteResult } from "./routeTypes.ts";
import { idParams, mutationHeaders } from "./schemas.ts";

const READ = ["mesh.read", "mesh.agent", "mesh.operate", "mesh.admin"] as const;
const OPERATE = ["mesh.operate", "mesh.admin"] as const;
const ID = "[A-Za-z0-9._~@-]+";
const STATES: readonly ApprovalState[] = ["pending", "approved", "applied", "failed", "rejected", "expired"];

/** Response header naming the approval a 202 is waiting for (a drain's 202 otherwise means "draining"). */
export const APPROVAL_HEADER = "drainkit-approval-id";

const approvalSchema = {
  type: "object",
  required: ["id", "state", "change", "reasons", "requiredScope", "requestedBy", "createdAt", "expiresAt", "version"],
  properties: {
    id: { type: "string" },
    state: { type: "string", enum: STATES },
    change: { type: "object", description: "The staged change: kind (cordon, drain, patchConfig, demote, abortRollout) and its input." },
    reasons: { type: "array", items: { type: "string" }, description: "Why it needs approval." },
    requiredScope: { type: "string", description: "The scope an approver needs." },
    requestedBy: { type: "object", properties: { id: { type: "string" } } },
    createdAt: { type: "integer" },
    expiresAt: { type: "integer" },
    decidedBy: { type: "string" },
    decisionReason: { type: "string" },
    result: { type: "object", description: "Once applied: the change's audit id; once failed: the refusal (errorCode, message)." },
    next: { type: "string", description: "On a 202: the command a second principal runs to approve it." },
    version: { type: "integer" },
  },
} as const;

/** Success responses of a verb that may be staged: 202 with the approval. */
export const PENDING = { 202: { description: `Waits for a second principal's approval (header ${APPROVAL_HEADER}); the body is the approval, with \`next\``, schema: approvalSchema } } as const;

const decisionBody = {
  type: "object",
  required: ["reason"],
  additionalProperties: false,
  properties: {
    reason: { type: "string", minLength: 1, maxLength: 1024, description: "Why; recorded on the approval and in the audit log." },
    ticket: { type: "string", minLength: 1, maxLength: 128 },
  },
} as const;

/** The 202 body of a staged change: the approval, and the command that approves it. */
function pendingBody(a: Approval): Approval & { readonly next: string } {
  return { ...a, next: approvalNext(a) };
}

/**
 * Runs a verb that may need approval: when the registry stages it (the two-person
 * rule), answers 202 with the pending approval instead of running `run`.
 */
export async function stageOr(ctx: RouteContext, change: StagedChange, run: () => Promise<RouteResult>): Promise<RouteResult> {
  const staged = await ctx.registry.stageIfRequired(ctx.principal, change, ctx.options);
  if (staged === undefined) return run();
  return { kind: "mutation", status: 202, outcome: { ...staged, value: pendingBody(staged.value) }, headers: { [APPROVAL_HEADER]: staged.value.id } };
}

const approvalTarget = (p: Readonly<Record<string, string>>): string => `approval/${p["id"] ?? ""}`;

/** `/control/approvals`: list, read, approve, reject. */
export const approvalRoutes: readonly RouteDefinition[] = [
  {
    method: "GET", url: "/control/approvals", path: "/control/approvals", operationId: "listApprovals", summary: "Staged changes, newest first (filter by state)",
    action: "listApprovals", mutation: false, anyOf: READ, target: () => "approvals",
    schema: { querystring: { type: "object", additionalProperties: false, properties: { state: { type: "string", enum: STATES } } } },
    responses: { 200: { description: "Approvals", schema: { type: "object", required: ["items"], properties: { items: { type: "array", items: approvalSchema } } } } },
    handle: async ({ registry, principal, query }) => ({ kind: "read", body: { items: await registry.listApprovals(principal, query as ApprovalQuery) } }),
  },
  {
    method: "GET", url: "/control/approvals/:id", path: "/control/approvals/{id}", operationId: "getApproval", summary: "One staged change, with its ETag",
    action: "getApproval", mutation: false, anyOf: READ, target: approvalTarget,
    schema: { params: idParams },
    responses: { 200: { description: "The approval", schema: approvalSchema } },
    handle: async ({ registry, principal, params }) => {
      const approval = await registry.getApproval(principal, params["id"]!);
      return { kind: "read", body: approval, etag: `"${approval.version}"` };
    },
  },
  {
    method: "POST", url: `/control/approvals/:id(^${ID})::approve`, path: "/control/approvals/{id}:approve",
    operationId: "approveChange", summary: "Approve a staged change (a second principal with its requiredScope; reason required): applies it once, re-checked against the guard",
    action: "approveChange", mutation: true, anyOf: OPERATE, target: approvalTarget,
    schema: { params: idParams, body: decisionBody, headers: mutationHeaders },
    responses: { 200: { description: "The approval, applied (or failed: then the refusal is the answer)", schema: approvalSchema } },
    handle: async ({ registry, principal, params, options }) => ({ kind: "mutation", outcome: await registry.approveChange(principal, params["id"]!, options) }),
  },
  {
    method: "POST", url: `/control/approvals/:id(^${ID})::reject`, path: "/control/approvals/{id}:reject", operationId: "rejectChange",
    summary: "Reject a staged change (reason required; the requester may withdraw its own)",
    action: "rejectChange", mutation: true, anyOf: OPERATE, target: approvalTarget,
    schema: { params: idParams, body: decisionBody, headers: mutationHeaders },
    responses: { 200: { description: "The approval, rejected", schema: approvalSchema } },
    handle: async ({ registry, principal, params, options }) => ({ kind: "mutation", outcome: await registry.rejectChange(principal, params["id"]!, options) }),
  },
];
