// @ts-nocheck
import { transitionNode, type CapacityGuard, type PoolMember } from "@drainkit/core";
import { sameJson } from "../audit/canonicalJson.ts";
import { ConfirmationRequiredError, ForbiddenError, OnlySchedulableNodeError, ValidationError } from "../errors.ts";
import { PEERS, peerKey } from "../keys.ts";
import { drainStatusOf, etagOf, toPeer, type PeerRecord } from "../peerRecord.ts";
import { hasScope, requireScope, requireSelfOrOperate } from "../rbac.ts";
import type { DrainReader, DrainWriter } from "../roles.ts";
import type { CordonInput, DrainFailure, DrainInput, DrainRecord, DrainSpec, DrainStall, DrainStallReport, DrainStatus, ResumeInput, UncordonInput } from "../types/drain.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Peer } from "../types/peer.ts";
import type { Principal } from "../types/principal.ts";
import { validateObject, validateReason, validateStrings } from "../validate.ts";
import { configNumber } from "./configVerbs.ts";
import { keepPeer, peerMutation, readPeerRecord, writePeer } from "./peerMutation.ts";
import { storedBudgets } from "./poolVerbs.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** Pool members as the capacity guard reads them, at `now`, with `override` in place of its stored record. */
async function fleetOf(ctx: RegistryContext, now: number, override: PeerRecord): Promise<PoolMember[]> {
  const staleAfter = await configNumber(ctx, "heartbeat.staleAfterMs", 30_000);
  const members: PoolMember[] = [];
  for (const item of (await ctx.view.listForWrite(PEERS)).items) {
    const record = item.value as PeerRecord;
    const peer = toPeer(record.id === override.id ? override : record, now, staleAfter);
    // Liveness: a host that never reported, or not within the window, is unknown and never counts as available.
    const stale = peer.liveness === "unknown";
    members.push({ id: peer.id, pools: peer.pools, phase: peer.phase, roles: peer.phases, ...(stale ? { healthy: false } : {}) });
  }
  return members;
}

/**
 * Refuses to take away the last node that still takes work for a role. One
 * rule for every way down: a cordon takes an `active` node out of scheduling;
 * a drain also takes a `cordoned` one off traffic, so cordon-then-drain is
 * refused exactly where a drain is.
 */
function refuseOnlySchedulable(id: string, roles: readonly string[], fleet: readonly PoolMember[], kind: "cordon" | "drain"): void {
  for (const role of roles) {
    const self = fleet.find((m) => m.id === id);
    const phase = self?.roles?.[role];
    // Taking down a host whose agent is silent takes no known capacity away.
    if (self?.healthy === false) continue;
    if (phase !== "active" && !(kind === "drain" && phase === "cordoned")) continue;
    const others = fleet.some((m) => m.id !== id && m.healthy !== false && m.roles?.[role] === "active");
    if (!others) throw new OnlySchedulableNodeError(id, role);
  }
}

/** Cordon, drain, resume and stall reports, each a core transition admitted by the capacity guard. */
export function drainVerbs(ctx: RegistryContext, guard: CapacityGuard): DrainReader & DrainWriter {
  const { clock, view } = ctx;
  return {
    async drainStatus(principal: Principal, id: string): Promise<DrainStatus> {
      requireScope(principal, "mesh.read", "drainStatus");
      const { record } = await readPeerRecord(ctx, id);
      return drainStatusOf(toPeer(record, clock.now()));
    },

    async drainRecords(): Promise<readonly DrainRecord[]> {
      const { items } = await view.list(PEERS);
      const now = clock.now();
      const out: DrainRecord[] = [];
      for (const item of items) {
        const peer = toPeer(item.value as PeerRecord, now);
        if (peer.spec.drain !== undefined) out.push({ peer: peer.id, request: peer.spec.drain, status: drainStatusOf(peer).status });
      }
      return out;
    },

    cordon(principal: Principal, id: string, input: CordonInput, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
      const force = input?.force === true;
      const authorize = (): void => {
        requireScope(principal, force ? "mesh.admin" : "mesh.operate", force ? "forced cordon" : "cordon");
        if (force && options.confirm !== true) throw new ConfirmationRequiredError("forced cordon");
      };
      return peerMutation(ctx, principal, "cordon", id, input, options, authorize, async (record, version) => {
        const reason = validateReason(input?.reason ?? options.reason);
        const owner = input.owner ?? principal.id;
        if (input.expiresAt !== undefined && typeof input.expiresAt !== "number") throw new ValidationError("expiresAt", "expected epoch milliseconds");
        const now = clock.now();
        const t = transitionNode(record.node, { type: "cordon", owner, reason, ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt }) }, now);
        if (!t.ok) throw t.error;
        if (!t.changed) return keepPeer(ctx, record);
        const fleet = await fleetOf(ctx, now, record);
        if (!force) refuseOnlySchedulable(id, record.roles, fleet, "cordon");
        const budgets = await storedBudgets(ctx, true);
        if (guard.poolsOf(record, budgets).length > 0) {
          const decision = guard.admit({ nodes: fleet }, { kind: "cordon", node: id, ...(force ? { force: { reason } } : {}) }, budgets);
          if (decision.outcome !== "allowed") throw decision.error;
        }
        const ticket = input.ticket ?? options.ticket;
        const cordonInfo = { ...record.cordonInfo, [owner]: { at: now, ...(ticket === undefined ? {} : { ticket }) } };
        return writePeer(ctx, record, version, { ...record, node: t.state, cordonInfo, generation: record.generation + 1, updatedAt: now });
      });
    },

    uncordon(principal: Principal, id: string, input: UncordonInput = {}, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
      return peerMutation(ctx, principal, "uncordon", id, input, options, () => requireScope(principal, "mesh.operate", "uncordon"), (record, version) => {
        const owner = input.owner ?? principal.id;
        const now = clock.now();
        const t = transitionNode(record.node, { type: "uncordon", owner }, now);
        if (!t.ok) throw t.error;
        if (!t.changed) return keepPeer(ctx, record);
        const { [owner]: _dropped, ...cordonInfo } = record.cordonInfo;
        return writePeer(ctx, record, version, { ...record, node: t.state, cordonInfo, generation: record.generation + 1, updatedAt: now });
      });
    },

    drain(principal: Principal, id: string, input: DrainInput, options: MutationOptions = {}): Promise<MutationOutcome<DrainStatus>> {
      const force = input?.force === true;
      return peerMutation<DrainStatus>(
        ctx,
        principal,
        "drain",
        id,
        input,
        options,
        () => {
          // An agent may drain its own peer (its shutdown goes through the control plane), never force it.
          if (force) requireScope(principal, "mesh.admin", "forced drain");
          else requireSelfOrOperate(principal, id, "drain");
          if (force && options.confirm !== true) throw new ConfirmationRequiredError("forced drain");
        },
        async (record, version) => {
          const reason = validateReason(input.reason ?? options.reason);
          const roles = input.roles === undefined ? record.roles : validateStrings("roles", input.roles);
          const now = clock.now();
          let deadline = input.deadline;
          if (deadline === undefined) {
            const relative = input.deadlineMs ?? (await configNumber(ctx, "drain.defaultDeadlineMs", 300_000));
            deadline = now + relative;
          }
          if (typeof deadline !== "number" || !Number.isFinite(deadline) || deadline <= now) throw new ValidationError("deadline", "must be in the future");
          const t = transitionNode(record.node, { type: "drain", reason, deadline, owner: principal.id, roles }, now);
          if (!t.ok) throw t.error;
          const statusOf = (r: PeerRecord): DrainStatus => drainStatusOf(toPeer(r, now));
          if (!t.changed) return { write: false, etag: etagOf(record.generation), result: statusOf(record) };
          const starts = t.state.epoch > record.node.epoch;
          let forced = false;
          if (starts) {
            const fleet = await fleetOf(ctx, now, record);
            if (!force) refuseOnlySchedulable(id, roles, fleet, "drain");
            const decision = guard.admit({ nodes: fleet }, { kind: "drain", node: id, ...(force ? { force: { reason } } : {}) }, await storedBudgets(ctx, true));
            if (decision.outcome !== "allowed") throw decision.error;
            forced = decision.forced;
          }
          const ticket = input.ticket ?? options.ticket;
          const drain = starts
            ? {
                epoch: t.state.epoch,
                deadline,
                roles,
                reason,
                ...(ticket === undefined ? {} : { ticket }),
                requestedAt: now,
                requestedBy: principal.id,
                ...(forced ? { forced: true } : {}),
              }
            : record.drain;
          const next: PeerRecord = { ...record, node: t.state, ...(drain === undefined ? {} : { drain }), generation: record.generation + 1, updatedAt: now };
          return { write: true, key: peerKey(id), readVersion: version, record: next, etagBefore: etagOf(record.generation), etagAfter: etagOf(next.generation), result: statusOf(next) };
        },
      );
    },

    resume(principal: Principal, id: string, input: ResumeInput = {}, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
      return peerMutation(ctx, principal, "resume", id, input, options, () => requireSelfOrOperate(principal, id, "resume"), (record, version) => {
        // An agent ends only the drain it asked for itself (its own shutdown), when it comes back; an operator's or a rollout's drain stays.
        if (!hasScope(principal, "mesh.operate") && record.drain !== undefined && record.drain.requestedBy !== principal.id) {
          throw new ForbiddenError("resume", "mesh.operate", `an agent may only end a drain it requested itself; "${record.drain.requestedBy}" requested this one`);
        }
        const now = clock.now();
        const t = transitionNode(record.node, { type: "resume" }, now);
        if (!t.ok) throw t.error;
        if (!t.changed) return keepPeer(ctx, record);
        const { drain: _ended, ...rest } = record;
        const stillHeld = Object.values(t.state.roles).some((r) => r.drain !== undefined && r.drain.epoch === record.drain?.epoch);
        const base: PeerRecord = stillHeld ? record : rest;
        return writePeer(ctx, record, version, { ...base, node: t.state, cordonInfo: {}, generation: record.generation + 1, updatedAt: now });
      });
    },

    failDrain(principal: Principal, id: string, failure: DrainFailure, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
      return peerMutation(ctx, principal, "failDrain", id, failure, options, () => requireScope(principal, "mesh.operate", "failDrain"), (record, version) => {
        const f = validateObject("failure", failure) as unknown as DrainFailure;
        if (!Number.isInteger(f.epoch) || f.epoch < 0) throw new ValidationError("epoch", "expected the drain's epoch, a whole number");
        const reason = validateReason(f.reason);
        const drain = record.drain;
        if (drain === undefined || drain.epoch !== f.epoch || drain.failure !== undefined) return keepPeer(ctx, record);
        // The stored machine, not the one read at `now`: reads already show a drain past its deadline
        // as failed, and this is the write that makes that true for everyone.
        const roles = drain.roles.filter((r) => record.node.roles[r]?.phase === "draining");
        if (roles.length === 0) return keepPeer(ctx, record);
        const now = clock.now();
        const t = transitionNode(record.node, { type: "fail", epoch: f.epoch, reason, roles }, now);
        if (!t.ok) throw t.error;
        const next: PeerRecord = { ...record, node: t.state, drain: { ...drain, failure: { reason, at: now } }, generation: record.generation + 1, updatedAt: now };
        return writePeer(ctx, record, version, next);
      });
    },

    reportDrainStalled(principal: Principal, id: string, report: DrainStallReport, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
      return peerMutation(ctx, principal, "drainStalled", id, report, options, () => requireScope(principal, "mesh.operate", "drainStalled"), (record, version) => {
        const r = validateObject("report", report) as unknown as DrainStallReport;
        if (!Number.isInteger(r.epoch) || r.epoch < 0) throw new ValidationError("epoch", "expected the drain's epoch, a whole number");
        const drain = record.drain;
        if (drain === undefined || drain.epoch !== r.epoch) return keepPeer(ctx, record);
        const now = clock.now();
        const workloads = r.workloads === undefined ? [] : validateStrings("workloads", r.workloads).slice(0, 20);
        const reason = r.reason === undefined ? undefined : validateReason(r.reason);
        const stalled: DrainStall | undefined =
          reason === undefined ? undefined : { reason, workloads, since: drain.stalled?.reason === reason ? drain.stalled.since : now };
        if (stalled?.reason === drain.stalled?.reason && sameJson(stalled?.workloads, drain.stalled?.workloads)) return keepPeer(ctx, record);
        const { stalled: _was, ...rest } = drain;
        const next: DrainSpec = stalled === undefined ? rest : { ...rest, stalled };
        return writePeer(ctx, record, version, { ...record, drain: next, generation: record.generation + 1, updatedAt: now });
      });
    },
  };
}
