import { DrainkitError } from "@drainkit/core";
import { sameJson } from "./audit/canonicalJson.ts";
import { ForbiddenError, ValidationError } from "./errors.ts";
import { hasScope } from "./rbac.ts";
import type { Principal } from "./types/principal.ts";

/**
 * Workload moves as the registry persists them under `moves/<id>`. The
 * control-plane leader plans a move off a draining peer (make before break:
 * start on the destination, then stop on the source); the destination's agent
 * reports `serving` once its copy serves, the source's agent reports `done`
 * once its copy stopped. Every step is an audited mutation, so a new leader
 * after a failover reads where each move stands and carries on.
 *
 * ```
 * starting ──serving (to / operate)──▶ serving ──done (from / operate)──▶ done
 *     ├──────failed (to / operate)──▶ failed
 *     └──────cancelled (operate: its drain was cancelled)──▶ cancelled
 * ```
 *
 * A move is cancelled only while `starting`: once `serving`, the workload is
 * served by its new home (make before break) and the move is not undone.
 */

/**
 * Where a move stands. `serving`: the destination owns the workload (the
 * source may still hold a copy). `cancelled`: the drain it served was
 * cancelled before the destination served it; the workload stays on its source.
 */
export type MoveState = "starting" | "serving" | "done" | "failed" | "cancelled";

/** Input of `planMove` (`POST /control/moves`): which workload goes where, and for which drain. */
export interface MovePlan {
  /** Given by the planner (the leader). */
  readonly id: string;
  readonly workload: string;
  readonly tier: "owner" | "child";
  /** A child's owner workload. */
  readonly owner?: string;
  /** Source peer id. */
  readonly from: string;
  /** Destination peer id. */
  readonly to: string;
  /** The drain the move serves, when it serves one. */
  readonly drain?: { readonly target: string; readonly epoch: number };
}

/** One workload moving from one peer to another: its plan and where it stands. ETag `"<generation>"`. */
export interface WorkloadMove extends MovePlan {
  readonly state: MoveState;
  /** Why it failed or was cancelled. */
  readonly reason?: string;
  /** Principal id of the planner. */
  readonly plannedBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Bumped on every write; the ETag is `"<generation>"`. */
  readonly generation: number;
}

/** Filters of `listMoves` (`GET /control/moves`); every filter given must match. */
export interface MoveQuery {
  /** Moves whose `from` or `to` is this peer. */
  readonly peer?: string;
  readonly state?: MoveState;
  /** True: only `starting` and `serving` moves; false: only ended ones. */
  readonly active?: boolean;
}

/** Input of `reportMove` (`POST /control/moves/{id}:report`). */
export interface MoveReport {
  readonly state: "serving" | "done" | "failed";
  /** Why it failed; required with `failed`. */
  readonly reason?: string;
}

/** One entry of the change feed for a move (`event: move` on /control/events). `value` is undefined once pruned. */
export interface MoveChange {
  readonly revision: number;
  readonly kind: "move";
  readonly id: string;
  readonly value: WorkloadMove | undefined;
}

/** The legal arrows of the move state machine. */
const ARROWS: Readonly<Record<MoveState, readonly MoveState[]>> = {
  starting: ["serving", "failed", "cancelled"],
  serving: ["done"],
  done: [],
  failed: [],
  cancelled: [],
};

const REPORTABLE: ReadonlySet<string> = new Set(["serving", "done", "failed"]);
const STATES: ReadonlySet<string> = new Set(["starting", "serving", "done", "failed", "cancelled"]);

/** True while a move still needs its peers (`starting` or `serving`). */
export function moveActive(move: WorkloadMove): boolean {
  return move.state === "starting" || move.state === "serving";
}

/** The reported state does not follow from the move's current state. */
export class MoveStateConflictError extends DrainkitError {
  constructor(id: string, from: MoveState, to: MoveState) {
    const allowed = ARROWS[from];
    const committed = to === "cancelled" && (from === "serving" || from === "done") ? " Its destination serves the workload already: a committed move is not undone (make before break)." : "";
    super(
      "move-state-conflict",
      `Move "${id}" is ${from}; it cannot become ${to}.${committed} ${allowed.length === 0 ? "It has ended; plan a new move instead." : `Allowed now: ${allowed.join(", ")}.`}`,
      { details: { move: id, from, to, allowed: [...allowed] } },
    );
  }
}

/** A move with that id exists with a different plan; ids are never reused for another move. */
export class MovePlanConflictError extends DrainkitError {
  constructor(id: string) {
    super("move-plan-conflict", `Move "${id}" already exists with a different plan; use a new id for a new move (GET /control/moves shows the existing one).`, {
      details: { move: id },
    });
  }
}

/** Validates and normalises a plan; `checkId` applies the registry's id rule. */
export function validateMovePlan(plan: unknown, checkId: (field: string, v: unknown) => string): MovePlan {
  if (typeof plan !== "object" || plan === null || Array.isArray(plan)) throw new ValidationError("plan", "expected an object");
  const p = plan as Record<string, unknown>;
  const id = checkId("id", p["id"]);
  const workload = checkId("workload", p["workload"]);
  const tier = p["tier"];
  if (tier !== "owner" && tier !== "child") throw new ValidationError("tier", 'expected "owner" or "child"');
  let owner: string | undefined;
  if (tier === "child") owner = checkId("owner", p["owner"]);
  else if (p["owner"] !== undefined) throw new ValidationError("owner", "an owner workload has no owner; leave it out or use tier child");
  if (owner === workload) throw new ValidationError("owner", "a workload cannot own itself");
  const from = checkId("from", p["from"]);
  const to = checkId("to", p["to"]);
  if (from === to) throw new ValidationError("to", "the destination must differ from the source");
  let drain: MovePlan["drain"];
  if (p["drain"] !== undefined) {
    const d = p["drain"] as Record<string, unknown> | null;
    if (typeof d !== "object" || d === null || Array.isArray(d)) throw new ValidationError("drain", "expected { target, epoch }");
    const target = checkId("drain.target", d["target"]);
    const epoch = d["epoch"];
    if (typeof epoch !== "number" || !Number.isInteger(epoch) || epoch < 0) throw new ValidationError("drain.epoch", "expected the drain epoch (a whole number >= 0)");
    drain = { target, epoch };
  }
  return { id, workload, tier, ...(owner === undefined ? {} : { owner }), from, to, ...(drain === undefined ? {} : { drain }) };
}

/** The plan a move was made from, to tell a replay from a conflicting reuse of its id. */
export function planOf(move: WorkloadMove): MovePlan {
  const { id, workload, tier, owner, from, to, drain } = move;
  return { id, workload, tier, ...(owner === undefined ? {} : { owner }), from, to, ...(drain === undefined ? {} : { drain }) };
}

/** True when two plans describe the same move. */
export function samePlan(a: MovePlan, b: MovePlan): boolean {
  return sameJson(a, b);
}

/** A new move in state `starting`. */
export function newMove(plan: MovePlan, plannedBy: string, now: number): WorkloadMove {
  return { ...plan, state: "starting", plannedBy, createdAt: now, updatedAt: now, generation: 1 };
}

/** Validates a report's shape. */
export function validateMoveReport(report: unknown): MoveReport {
  if (typeof report !== "object" || report === null || Array.isArray(report)) throw new ValidationError("report", "expected { state, reason? }");
  const r = report as Record<string, unknown>;
  const state = r["state"];
  if (typeof state !== "string" || !REPORTABLE.has(state)) throw new ValidationError("state", 'expected "serving", "done" or "failed"');
  const reason = r["reason"];
  if (reason !== undefined && (typeof reason !== "string" || reason.trim() === "")) throw new ValidationError("reason", "expected a non-empty string");
  if (state === "failed" && reason === undefined) throw new ValidationError("reason", "say why the move failed");
  return { state: state as MoveReport["state"], ...(reason === undefined ? {} : { reason: reason as string }) };
}

/**
 * Who may report what: mesh.operate any arrow; a peer's agent (principal id
 * === peer id) only its own side: the destination `serving` or `failed`, the
 * source `done`. Throws {@link ForbiddenError}.
 */
export function authorizeMoveReport(principal: Principal, move: WorkloadMove, state: MoveReport["state"]): void {
  if (hasScope(principal, "mesh.operate")) return;
  if (!hasScope(principal, "mesh.agent")) throw new ForbiddenError("reportMove", "mesh.agent");
  const side = principal.id === move.to ? "to" : principal.id === move.from ? "from" : undefined;
  if (side === undefined) throw new ForbiddenError("reportMove", "mesh.operate", `an agent may only report moves from or to its own peer "${principal.id}"`);
  const needs = state === "done" ? "from" : "to";
  if (side !== needs) {
    throw new ForbiddenError("reportMove", "mesh.operate", state === "done" ? "only the source's agent reports done (it stopped its copy)" : `only the destination's agent reports ${state}`);
  }
}

/**
 * Applies a report: the next move; undefined for a repeat of the current
 * state, or a late repeat of `serving` once the move is `done` (its
 * destination serves: what the report says is still true), both no-ops; or
 * {@link MoveStateConflictError}. Repeats being no-ops is what lets an agent
 * retry a report without an idempotency record.
 */
export function applyMoveReport(move: WorkloadMove, report: MoveReport, now: number): WorkloadMove | undefined {
  if (move.state === report.state || (move.state === "done" && report.state === "serving")) return undefined;
  if (!ARROWS[move.state].includes(report.state)) throw new MoveStateConflictError(move.id, move.state, report.state);
  const { reason: _old, ...rest } = move;
  return { ...rest, state: report.state, ...(report.state === "failed" && report.reason !== undefined ? { reason: report.reason } : {}), updatedAt: now, generation: move.generation + 1 };
}

/**
 * Cancels a move (its drain was cancelled): the next move, undefined when it is
 * cancelled already (no-op), or {@link MoveStateConflictError} once it left
 * `starting` (a serving move committed and is not undone; an ended one stays ended).
 */
export function applyMoveCancel(move: WorkloadMove, reason: string, now: number): WorkloadMove | undefined {
  if (move.state === "cancelled") return undefined;
  if (move.state !== "starting") throw new MoveStateConflictError(move.id, move.state, "cancelled");
  return { ...move, state: "cancelled", reason, updatedAt: now, generation: move.generation + 1 };
}

/** True once a move ended (`done`, `failed` or `cancelled`): nothing more happens to it but pruning. */
export function moveEnded(move: WorkloadMove): boolean {
  return move.state === "done" || move.state === "failed" || move.state === "cancelled";
}

/** The registry's id pattern: what a peer id can be. */
const PEER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}$/;

/** Validates a query's filters. */
export function validateMoveQuery(query: unknown): MoveQuery {
  if (query === undefined) return {};
  if (typeof query !== "object" || query === null || Array.isArray(query)) throw new ValidationError("query", "expected an object");
  const q = query as Record<string, unknown>;
  if (q["peer"] !== undefined && (typeof q["peer"] !== "string" || !PEER_ID.test(q["peer"]))) throw new ValidationError("peer", "expected a peer id (letters, digits and . _ : @ -, starting with a letter or digit)");
  if (q["state"] !== undefined && (typeof q["state"] !== "string" || !STATES.has(q["state"]))) throw new ValidationError("state", "expected starting, serving, done, failed or cancelled");
  if (q["active"] !== undefined && typeof q["active"] !== "boolean") throw new ValidationError("active", "expected true or false");
  return q as MoveQuery;
}

/** True when the move matches every filter of the query. */
export function matchesMoveQuery(move: WorkloadMove, query: MoveQuery): boolean {
  if (query.peer !== undefined && move.from !== query.peer && move.to !== query.peer) return false;
  if (query.state !== undefined && move.state !== query.state) return false;
  if (query.active !== undefined && moveActive(move) !== query.active) return false;
  return true;
}
