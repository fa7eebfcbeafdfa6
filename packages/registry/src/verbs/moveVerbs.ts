import { NotFoundError, ValidationError } from "../errors.ts";
import { MOVES, moveKey, peerKey, workloadMoveKey } from "../keys.ts";
import {
  applyMoveCancel,
  applyMoveReport,
  authorizeMoveReport,
  matchesMoveQuery,
  moveEnded,
  MovePlanConflictError,
  newMove,
  planOf,
  samePlan,
  validateMovePlan,
  validateMoveQuery,
  validateMoveReport,
  type MovePlan,
  type MoveQuery,
  type MoveReport,
  type WorkloadMove,
} from "../moves.ts";
import { etagOf } from "../peerRecord.ts";
import { hasScope, requireScope } from "../rbac.ts";
import type { MoveLedger } from "../roles.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Principal } from "../types/principal.ts";
import { checkIfMatch, isId, validateId } from "../validate.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** Deletes per prune: with a full batch of other mutations it stays within etcd's 128 operations per transaction. */
const PRUNE_LIMIT = 25;

/** Workload moves: planned by the leader, moved along by the agents at both ends, pruned once ended. */
export function moveVerbs(ctx: RegistryContext): MoveLedger {
  const { clock, view } = ctx;

  /** Every move, oldest first. */
  const moves = async (forWrite = false): Promise<{ move: WorkloadMove; version: number }[]> => {
    const { items } = forWrite ? await view.listForWrite(MOVES) : await view.list(MOVES);
    return items.map((i) => ({ move: i.value as WorkloadMove, version: i.version })).sort((a, b) => a.move.createdAt - b.move.createdAt || (a.move.id < b.move.id ? -1 : 1));
  };

  return {
    async listMoves(principal: Principal, query: MoveQuery = {}): Promise<readonly WorkloadMove[]> {
      // mesh.agent implies mesh.read for peers, but an agent sees only the moves it takes part in.
      const seesAll = hasScope(principal, "mesh.operate") || principal.scopes.includes("mesh.read");
      if (!seesAll) requireScope(principal, "mesh.agent", "listMoves");
      const q = validateMoveQuery(query);
      return (await moves())
        .map((m) => m.move)
        .filter((m) => (seesAll || m.from === principal.id || m.to === principal.id) && matchesMoveQuery(m, q));
    },

    planMove(principal: Principal, plan: MovePlan, options: MutationOptions = {}): Promise<MutationOutcome<WorkloadMove>> {
      const id = typeof plan?.id === "string" ? plan.id : "";
      let before: string | undefined;
      return ctx.mutate({ principal, action: "planMove", target: `move/${id}`, options, request: plan, etagBefore: () => before }, async () => {
        requireScope(principal, "mesh.operate", "planMove");
        const p = validateMovePlan(plan, validateId);
        const got = await view.getForWrite(moveKey(p.id));
        const existing = got?.value as WorkloadMove | undefined;
        if (existing !== undefined) {
          before = etagOf(existing.generation);
          checkIfMatch(`move/${p.id}`, options, existing.generation);
          if (!samePlan(planOf(existing), p)) throw new MovePlanConflictError(p.id);
          return { write: false, etag: etagOf(existing.generation), result: existing };
        }
        if (options.ifMatch !== undefined && options.ifMatch !== "*") checkIfMatch(`move/${p.id}`, options, 0);
        for (const peer of [p.from, p.to]) {
          if ((await view.getForWrite(peerKey(peer))) === undefined) throw new NotFoundError("peer", peer);
        }
        const move = newMove(p, principal.id, clock.now());
        // The workload's latest move, for the one-home check (a blind write: the audit head orders every plan).
        const latest = { key: workloadMoveKey(p.workload), record: { move: p.id }, readVersion: -1 };
        return { write: true, key: moveKey(p.id), readVersion: 0, record: move, puts: [latest], etagAfter: etagOf(move.generation), result: move };
      });
    },

    reportMove(principal: Principal, id: string, report: MoveReport, options: MutationOptions = {}): Promise<MutationOutcome<WorkloadMove>> {
      let before: string | undefined;
      // An agent's report keeps no idempotency record (its key is still audited): the state machine makes a repeat a
      // no-op (applyMoveReport), and a record per step was a third of a move's bytes. An operator's keeps its record,
      // so reusing a key for another report is still refused.
      const operator = hasScope(principal, "mesh.operate");
      return ctx.mutate({ principal, action: "reportMove", target: `move/${id}`, options, request: report, etagBefore: () => before, remember: operator }, async () => {
        if (!operator) requireScope(principal, "mesh.agent", "reportMove");
        const r = validateMoveReport(report);
        const got = isId(id) ? await view.getForWrite(moveKey(id)) : undefined;
        if (got === undefined) throw new NotFoundError("move", id);
        const move = got.value as WorkloadMove;
        before = etagOf(move.generation);
        authorizeMoveReport(principal, move, r.state);
        checkIfMatch(`move/${id}`, options, move.generation);
        const next = applyMoveReport(move, r, clock.now());
        if (next === undefined) return { write: false, etag: etagOf(move.generation), result: move };
        return { write: true, key: moveKey(id), readVersion: got.version, record: next, etagBefore: before, etagAfter: etagOf(next.generation), result: next };
      });
    },

    cancelMove(principal: Principal, id: string, input: { readonly reason: string }, options: MutationOptions = {}): Promise<MutationOutcome<WorkloadMove>> {
      let before: string | undefined;
      const reason = (input as { reason?: unknown } | undefined)?.reason;
      return ctx.mutate({ principal, action: "cancelMove", target: `move/${id}`, options, request: input, etagBefore: () => before }, async () => {
        requireScope(principal, "mesh.operate", "cancelMove");
        if (typeof reason !== "string" || reason.trim() === "") throw new ValidationError("reason", "say why the move is cancelled");
        const got = isId(id) ? await view.getForWrite(moveKey(id)) : undefined;
        if (got === undefined) throw new NotFoundError("move", id);
        const move = got.value as WorkloadMove;
        before = etagOf(move.generation);
        checkIfMatch(`move/${id}`, options, move.generation);
        const next = applyMoveCancel(move, reason, clock.now());
        if (next === undefined) return { write: false, etag: etagOf(move.generation), result: move };
        return { write: true, key: moveKey(id), readVersion: got.version, record: next, etagBefore: before, etagAfter: etagOf(next.generation), result: next };
      });
    },

    pruneMoves(principal: Principal, input: { readonly before: number }, options: MutationOptions = {}): Promise<MutationOutcome<{ readonly deleted: number; readonly remaining: number }>> {
      return ctx.mutate({ principal, action: "pruneMoves", target: "moves", options, request: input }, async () => {
        requireScope(principal, "mesh.operate", "pruneMoves");
        const cutoff = (input as { before?: unknown } | undefined)?.before;
        if (typeof cutoff !== "number" || !Number.isFinite(cutoff)) throw new ValidationError("before", "expected epoch milliseconds");
        const due = (await moves(true)).filter(({ move }) => moveEnded(move) && move.updatedAt < cutoff);
        const now = due.slice(0, PRUNE_LIMIT);
        const result = { deleted: now.length, remaining: due.length - now.length };
        if (now.length === 0) return { write: false, etag: '"0"', result };
        const deletes = now.map(({ move, version }) => ({ key: moveKey(move.id), readVersion: version }));
        // A workload's latest-move index goes with the move it names (a later move keeps it).
        for (const { move } of now) {
          const latest = await view.getForWrite(workloadMoveKey(move.workload));
          if ((latest?.value as { move?: string } | undefined)?.move === move.id) deletes.push({ key: workloadMoveKey(move.workload), readVersion: latest!.version });
        }
        return { write: true, deletes, etagAfter: '"0"', result };
      });
    },
  };
}
