// @ts-nocheck
import { httpStatusFor, isDrainkitError } from "@drainkit/core";
import { needsApproval, type ApprovalSettings, type PoolImpact } from "../approvals/needsApproval.ts";
import { ApprovalExpiredError, ApprovalNotPendingError, NotFoundError, SelfApprovalError, ValidationError } from "../errors.ts";
import { APPROVALS, approvalKey, PEERS } from "../keys.ts";
import { etagOf, toPeer, type PeerRecord } from "../peerRecord.ts";
import { hasScope, requireScope } from "../rbac.ts";
import type { ApprovalStore, ClusterAdmin, ConfigStore, DrainWriter, RolloutStore } from "../roles.ts";
import { sha256 } from "../sha256.ts";
import type { Approval, ApprovalExpiry, ApprovalQuery, ApprovalState, StagedChange } from "../types/approval.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Principal } from "../types/principal.ts";
import { isId } from "../validate.ts";
import { readConfig } from "./configVerbs.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** The verbs a staged change is applied through, once approved. */
export type ApplyVerbs = Pick<DrainWriter, "cordon" | "drain"> & Pick<ConfigStore, "patchConfig"> & Pick<ClusterAdmin, "demote"> & Pick<RolloutStore, "abortRollout">;

/** Most approvals one expiry call marks, so its transaction stays small. */
const EXPIRE_LIMIT = 25;

/** Changes whose verb refuses them without `confirm`. */
const needsConfirm = (change: StagedChange): boolean =>
  change.kind === "patchConfig" || change.kind === "demote" || change.kind === "abortRollout" || ((change.kind === "drain" || change.kind === "cordon") && change.input.force === true);

/** Staged approvals: stage, list, approve (and apply once), reject, expire. */
export function approvalVerbs(ctx: RegistryContext, apply: ApplyVerbs): ApprovalStore {
  const { clock, view } = ctx;

  const settingsOf = async (): Promise<ApprovalSettings & { ttlMs: number }> => {
    const { values } = (await readConfig(ctx)).config;
    return {
      enabled: values["approvals.enabled"] === true,
      massPeers: Number(values["approvals.massPeers"] ?? 5),
      massPercent: Number(values["approvals.massPercent"] ?? 50),
      ttlMs: Number(values["approvals.ttlMs"] ?? 3_600_000),
    };
  };

  /** For a cordon or drain: each of the peer's pools, and how many of its peers would be out of service after it. */
  const impactOf = async (change: StagedChange): Promise<PoolImpact[] | undefined> => {
    if (change.kind !== "cordon" && change.kind !== "drain") return [];
    const now = clock.now();
    const peers = (await view.list(PEERS)).items.map((i) => toPeer(i.value as PeerRecord, now));
    const target = peers.find((p) => p.id === change.peer);
    if (target === undefined) return undefined;
    return target.pools.map((pool) => {
      const members = peers.filter((p) => p.pools.includes(pool));
      const out = members.filter((p) => p.id === change.peer || p.phase !== "active" || p.liveness === "unknown");
      return { pool, members: members.length, outAfter: out.length };
    });
  };

  const read = async (id: string, forWrite: boolean): Promise<{ approval: Approval; version: number }> => {
    const got = isId(id) ? (forWrite ? await view.getForWrite(approvalKey(id)) : await view.get(approvalKey(id))) : undefined;
    if (got === undefined) throw new NotFoundError("approval", id);
    return { approval: got.value as Approval, version: got.version };
  };

  /** One audited write of an approval's state. `decide` returns the next record, or undefined for a no-op. */
  const transition = (
    principal: Principal,
    action: string,
    id: string,
    options: MutationOptions,
    decide: (a: Approval) => Omit<Approval, "version"> | undefined,
  ): Promise<MutationOutcome<Approval>> => {
    let before: string | undefined;
    return ctx.mutate({ principal, action, target: `approval/${id}`, options, request: { id }, etagBefore: () => before }, async () => {
      const { approval, version } = await read(id, true);
      before = etagOf(approval.version);
      const next = decide(approval);
      if (next === undefined) return { write: false, etag: before, result: approval };
      const record: Approval = { ...next, version: approval.version + 1 };
      return { write: true, key: approvalKey(id), readVersion: version, record, etagBefore: before, etagAfter: etagOf(record.version), result: record };
    });
  };

  const requireReason = (options: MutationOptions, verb: string): void => {
    if (typeof options.reason !== "string" || options.reason.trim() === "") throw new ValidationError("reason", `${verb} a change needs a reason`);
  };

  /** Runs the staged change through its verb, as the requester, under an idempotency key of its own. */
  const applyChange = (a: Approval): Promise<MutationOutcome<unknown>> => {
    const as: Principal = { id: a.requestedBy.id, scopes: a.requestedBy.scopes };
    const options: MutationOptions = { ...a.request, idempotencyKey: `approval/${a.id}` };
    const c = a.change;
    switch (c.kind) {
      case "cordon":
        return apply.cordon(as, c.peer, c.input, options);
      case "drain":
        return apply.drain(as, c.peer, c.input, options);
      case "patchConfig":
        return apply.patchConfig(as, c.patch, options);
      case "demote":
        return apply.demote(as, c.cluster, options);
      case "abortRollout":
        return apply.abortRollout(as, c.rollout, options);
    }
  };

  /** Records how the apply ended: `applied`, or `failed` with the refusal. A no-op unless still `approved`. */
  const settle = (principal: Principal, a: Approval, result: { readonly state: ApprovalState; readonly result: NonNullable<Approval["result"]> }): Promise<MutationOutcome<Approval>> =>
    transition(principal, "applyChange", a.id, {}, (cur) => (cur.state === "approved" ? { ...cur, state: result.state, result: result.result } : undefined));

  return {
    async stageIfRequired(principal, change, options = {}) {
      if (options.dryRun === true) return undefined;
      const settings = await settingsOf();
      if (!settings.enabled) return undefined;
      const pools = await impactOf(change);
      // An unknown peer: the verb itself answers not-found.
      if (pools === undefined) return undefined;
      const need = needsApproval(change, pools, settings);
      // A change this principal could not make (scope, confirm) is the verb's to refuse, not a second principal's to approve.
      if (!need.required || !hasScope(principal, need.scope) || (needsConfirm(change) && options.confirm !== true)) return undefined;
      const now = clock.now();
      // A retry under the same Idempotency-Key names the same approval.
      const id =
        options.idempotencyKey !== undefined
          ? `ap-${sha256(`${principal.id}\u0000${options.idempotencyKey}`).slice(0, 12)}`
          : `ap-${now.toString(36)}-${ctx.random.int(0, 0x7fffffff).toString(36)}`;
      return ctx.mutate({ principal, action: "requestApproval", target: `approval/${id}`, options, request: change }, async () => {
        requireScope(principal, need.scope, "requestApproval");
        const existing = await view.getForWrite(approvalKey(id));
        if (existing !== undefined) return { write: false, etag: etagOf((existing.value as Approval).version), result: existing.value as Approval };
        const request = {
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(options.ticket === undefined ? {} : { ticket: options.ticket }),
          ...(options.confirm === true ? { confirm: true } : {}),
          ...(options.ifMatch === undefined ? {} : { ifMatch: options.ifMatch }),
        };
        const record: Approval = {
          id,
          state: "pending",
          change,
          reasons: need.reasons,
          requiredScope: need.scope,
          requestedBy: { id: principal.id, scopes: principal.scopes },
          request,
          createdAt: now,
          expiresAt: now + settings.ttlMs,
          version: 1,
        };
        return { write: true, key: approvalKey(id), readVersion: 0, record, etagAfter: etagOf(1), result: record };
      });
    },

    async listApprovals(principal: Principal, query: ApprovalQuery = {}): Promise<readonly Approval[]> {
      requireScope(principal, "mesh.read", "listApprovals");
      const all = (await view.list(APPROVALS)).items.map((i) => i.value as Approval);
      return all.filter((a) => query.state === undefined || a.state === query.state).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    },

    async getApproval(principal: Principal, id: string): Promise<Approval> {
      requireScope(principal, "mesh.read", "getApproval");
      return (await read(id, false)).approval;
    },

    async approveChange(principal: Principal, id: string, options: MutationOptions = {}): Promise<MutationOutcome<Approval>> {
      const approved = await transition(principal, "approveChange", id, options, (a) => {
        requireScope(principal, a.requiredScope, "approveChange");
        if (a.requestedBy.id === principal.id) throw new SelfApprovalError(a.id, a.requestedBy.id, a.requiredScope);
        requireReason(options, "approving");
        // Approved before but not settled (a crash, a lost reply): carry on applying.
        if (a.state === "approved") return undefined;
        if (a.state !== "pending") throw new ApprovalNotPendingError(a.id, a.state);
        if (clock.now() >= a.expiresAt) throw new ApprovalExpiredError(a.id, a.expiresAt);
        return { ...a, state: "approved", decidedBy: principal.id, decidedAt: clock.now(), decisionReason: options.reason! };
      });
      if (options.dryRun === true) return approved;
      const current = (await read(id, false)).approval;
      if (current.state !== "approved") return { ...approved, value: current, etag: etagOf(current.version) };
      let outcome: MutationOutcome<unknown>;
      try {
        outcome = await applyChange(current);
      } catch (e) {
        // A refusal by the domain (the guard, a stale ETag) ends the approval; trouble of the store leaves it approved for a retry.
        if (isDrainkitError(e) && httpStatusFor(e.code) < 500) {
          await settle(principal, current, { state: "failed", result: { errorCode: e.code, message: e.message } });
        }
        throw e;
      }
      return settle(principal, current, { state: "applied", result: { auditId: outcome.auditId } });
    },

    rejectChange(principal: Principal, id: string, options: MutationOptions = {}): Promise<MutationOutcome<Approval>> {
      return transition(principal, "rejectChange", id, options, (a) => {
        // The requester may withdraw its own change; anyone else needs the scope the change needs.
        if (a.requestedBy.id !== principal.id) requireScope(principal, a.requiredScope, "rejectChange");
        requireReason(options, "rejecting");
        if (a.state === "rejected") return undefined;
        if (a.state !== "pending") throw new ApprovalNotPendingError(a.id, a.state);
        return { ...a, state: "rejected", decidedBy: principal.id, decidedAt: clock.now(), decisionReason: options.reason! };
      });
    },

    async expireApprovals(principal: Principal, options: MutationOptions = {}): Promise<MutationOutcome<ApprovalExpiry>> {
      const due = async (forWrite: boolean): Promise<{ approval: Approval; version: number }[]> => {
        const now = clock.now();
        const { items } = forWrite ? await view.listForWrite(APPROVALS) : await view.list(APPROVALS);
        return items
          .map((i) => ({ approval: i.value as Approval, version: i.version }))
          .filter((a) => a.approval.state === "pending" && a.approval.expiresAt <= now)
          .sort((a, b) => a.approval.expiresAt - b.approval.expiresAt)
          .slice(0, EXPIRE_LIMIT);
      };
      // Finding nothing due is housekeeping with nothing to record: no write, no audit entry.
      if (hasScope(principal, "mesh.operate") && options.dryRun !== true && (await due(false)).length === 0) {
        return { value: { expired: [] }, etag: '"0"', changed: false, auditId: "" };
      }
      return ctx.mutate({ principal, action: "expireApprovals", target: "approvals", options, request: {} }, async () => {
        requireScope(principal, "mesh.operate", "expireApprovals");
        const now = clock.now();
        const batch = await due(true);
        if (batch.length === 0) return { write: false, etag: '"0"', result: { expired: [] } };
        const puts = batch.map(({ approval, version }) => ({
          key: approvalKey(approval.id),
          readVersion: version,
          record: { ...approval, state: "expired", decidedAt: now, version: approval.version + 1 } satisfies Approval,
        }));
        return { write: true, puts, etagAfter: '"0"', result: { expired: batch.map((b) => b.approval.id) } };
      });
    },
  };
}
