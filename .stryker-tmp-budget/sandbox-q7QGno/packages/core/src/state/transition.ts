// @ts-nocheck
import { InvalidTransitionError } from "./errors.ts";
import type { RolePhase } from "./phase.ts";
import type { RoleEvent, RoleEventType } from "./RoleEvent.ts";

/** A cordon held by one owner. The role stays cordoned while any owner holds one. */
export interface Cordon {
  readonly owner: string;
  readonly reason: string;
  /** Epoch milliseconds after which the cordon lapses by itself (see {@link expireRole}). */
  readonly expiresAt?: number;
}

/** The drain a role is in (present while draining, drained or failed). */
export interface RoleDrain {
  readonly epoch: number;
  readonly reason: string;
  /** Epoch milliseconds by which in-flight work must be finished, or the drain fails. */
  readonly deadline: number;
  readonly owner?: string;
  /** Epoch milliseconds after which the drain lapses and the role returns to service. */
  readonly expiresAt?: number;
  /** Why the drain failed (phase `failed` only). */
  readonly failure?: string;
}

/** The state of one role's machine. Immutable: transitions return a new object. */
export interface RoleState {
  readonly role: string;
  readonly phase: RolePhase;
  /** Epoch of the latest drain this role started (0 = never drained). */
  readonly epoch: number;
  /** Held cordons, at most one per owner. */
  readonly cordons: readonly Cordon[];
  /** Present exactly when `phase` is draining, drained or failed. */
  readonly drain?: RoleDrain;
}


/**
 * Work the interpreter (the coordinator, the agent, the simulator) carries out
 * after a transition; the machine itself executes nothing.
 */
export type RoleEffect =
  /** Close this role's gates to new work and wait for in-flight work, until `deadline`. */
  | { readonly type: "close-gates"; readonly role: string; readonly epoch: number; readonly deadline: number; readonly reason: string }
  /** Reopen this role's gates: the drain of `epoch` is over. */
  | { readonly type: "open-gates"; readonly role: string; readonly epoch: number }
  /** Stop the deadline timer of the drain of `epoch`: it no longer matters. */
  | { readonly type: "clear-deadline"; readonly role: string; readonly epoch: number }
  /** The phase (or the drain epoch) changed: publish status and record it. */
  | { readonly type: "report"; readonly role: string; readonly from: RolePhase; readonly to: RolePhase; readonly epoch: number };

/**
 * The outcome of a transition: the next state and the effects to run, or the
 * typed refusal. `changed` is false for an idempotent no-op (same state object
 * back, no effects), so callers write no duplicate audit entry.
 */
export type Transition<S, E = RoleEffect, Err extends Error = InvalidTransitionError> =
  | { readonly ok: true; readonly state: S; readonly effects: readonly E[]; readonly changed: boolean }
  | { readonly ok: false; readonly error: Err };

/**
 * Events accepted in each phase: every non-✗ cell of the table.
 *
 * @example
 * ALLOWED_EVENTS.draining; // ["cordon", "drain", "drained", "fail", "resume"]
 */
export const ALLOWED_EVENTS: Readonly<Record<RolePhase, readonly RoleEventType[]>> = Object.freeze({
  active: Object.freeze(["cordon", "uncordon", "drain", "resume"] as const),
  cordoned: Object.freeze(["cordon", "uncordon", "drain", "resume"] as const),
  draining: Object.freeze(["cordon", "drain", "drained", "fail", "resume"] as const),
  drained: Object.freeze(["cordon", "drain", "drained", "resume"] as const),
  failed: Object.freeze(["cordon", "drain", "fail", "resume"] as const),
});

const NO_EFFECTS: readonly RoleEffect[] = Object.freeze([]);
const NO_CORDONS: readonly Cordon[] = Object.freeze([]);

/**
 * A fresh role: active, never drained, no cordons.
 *
 * @example
 * const ingest = createRoleState("ingest");
 */
export function createRoleState(role: string): RoleState {
  return { role, phase: "active", epoch: 0, cordons: NO_CORDONS };
}

/**
 * The role state machine of ARCHITECTURE.md as a pure function: returns the
 * next state and the effects to run, or an {@link InvalidTransitionError}
 * naming the allowed events. Executes nothing and reads no clock.
 *
 * A drain without `epoch` takes `state.epoch + 1`; while draining, a drain
 * without an epoch (or with the current one) is the same drain and a no-op,
 * and a drain with a newer epoch replaces it.
 *
 * @example
 * let s = createRoleState("ingest");
 * const r = transition(s, { type: "drain", reason: "upgrade", deadline: now + 30_000 });
 * if (r.ok) { s = r.state; run(r.effects); }   // s.phase === "draining", s.epoch === 1
 */
export function transition(state: RoleState, event: RoleEvent): Transition<RoleState> {
  return step(state, event, event.type === "drain" ? (event.epoch ?? state.epoch + 1) : 0);
}

/**
 * {@link transition} with the epoch a new drain would take supplied by the
 * caller, so a node gives one epoch to every role a drain starts on.
 * @internal
 */
export function step(state: RoleState, event: RoleEvent, newEpoch: number): Transition<RoleState> {
  switch (event.type) {
    case "cordon":
      return cordon(state, event);
    case "uncordon":
      return uncordon(state, event.owner);
    case "drain":
      return drain(state, event, newEpoch);
    case "drained":
    case "fail":
      return finish(state, event);
    case "resume":
      return resume(state);
  }
}

function same(state: RoleState): Transition<RoleState> {
  return { ok: true, state, effects: NO_EFFECTS, changed: false };
}

function refuse(state: RoleState, event: RoleEventType, why?: string): Transition<RoleState> {
  return {
    ok: false,
    error: new InvalidTransitionError({ role: state.role, from: state.phase, event, allowed: ALLOWED_EVENTS[state.phase], ...(why === undefined ? {} : { why }) }),
  };
}

function report(role: string, from: RolePhase, to: RolePhase, epoch: number): RoleEffect {
  return { type: "report", role, from, to, epoch };
}

function cordon(state: RoleState, event: { owner: string; reason: string; expiresAt?: number }): Transition<RoleState> {
  const held = state.cordons;
  let at = -1;
  for (let i = 0; i < held.length; i++) if (held[i]!.owner === event.owner) at = i;
  const existing = at >= 0 ? held[at] : undefined;
  if (existing !== undefined && existing.reason === event.reason && existing.expiresAt === event.expiresAt) return same(state);
  const next: Cordon = event.expiresAt === undefined ? { owner: event.owner, reason: event.reason } : { owner: event.owner, reason: event.reason, expiresAt: event.expiresAt };
  const cordons = at >= 0 ? held.map((c, i) => (i === at ? next : c)) : [...held, next];
  // A cordon on a draining, drained or failed role changes no phase (the table's
  // no-op) but is still recorded, so the owner's hold outlives a lapsed drain.
  if (state.phase !== "active") return { ok: true, state: { ...state, cordons }, effects: NO_EFFECTS, changed: true };
  return { ok: true, state: { ...state, phase: "cordoned", cordons }, effects: [report(state.role, "active", "cordoned", state.epoch)], changed: true };
}

function uncordon(state: RoleState, owner: string): Transition<RoleState> {
  switch (state.phase) {
    case "active":
      return same(state);
    case "cordoned": {
      const cordons = state.cordons.filter((c) => c.owner !== owner);
      if (cordons.length === state.cordons.length) return same(state);
      if (cordons.length > 0) return { ok: true, state: { ...state, cordons }, effects: NO_EFFECTS, changed: true };
      return { ok: true, state: { ...state, phase: "active", cordons: NO_CORDONS }, effects: [report(state.role, "cordoned", "active", state.epoch)], changed: true };
    }
    default:
      return refuse(state, "uncordon", "a drain holds the role; resume it first");
  }
}

function startDrain(state: RoleState, event: Extract<RoleEvent, { type: "drain" }>, epoch: number): RoleState {
  let drain: RoleDrain = { epoch, reason: event.reason, deadline: event.deadline };
  if (event.owner !== undefined) drain = { ...drain, owner: event.owner };
  if (event.expiresAt !== undefined) drain = { ...drain, expiresAt: event.expiresAt };
  return { role: state.role, phase: "draining", epoch, cordons: state.cordons, drain };
}

function drain(state: RoleState, event: Extract<RoleEvent, { type: "drain" }>, epoch: number): Transition<RoleState> {
  switch (state.phase) {
    case "active":
    case "cordoned":
    case "failed": {
      if (epoch <= state.epoch) return same(state); // stale request from an older drain
      const next = startDrain(state, event, epoch);
      const gates: RoleEffect = { type: "close-gates", role: state.role, epoch, deadline: event.deadline, reason: event.reason };
      return { ok: true, state: next, effects: [gates, report(state.role, state.phase, "draining", epoch)], changed: true };
    }
    case "draining": {
      if (event.epoch === undefined || event.epoch <= state.epoch) return same(state);
      const next = startDrain(state, event, event.epoch);
      const effects: RoleEffect[] = [
        { type: "clear-deadline", role: state.role, epoch: state.epoch },
        { type: "close-gates", role: state.role, epoch: event.epoch, deadline: event.deadline, reason: event.reason },
        report(state.role, "draining", "draining", event.epoch),
      ];
      return { ok: true, state: next, effects, changed: true };
    }
    case "drained":
      return same(state);
  }
}

function finish(state: RoleState, event: Extract<RoleEvent, { type: "drained" | "fail" }>): Transition<RoleState> {
  const epoch = event.epoch;
  if (epoch !== undefined) {
    // Stale: from an older drain, or from the latest one after it was resumed.
    if (epoch < state.epoch || (epoch === state.epoch && epoch > 0 && state.drain === undefined)) return same(state);
    if (epoch > state.epoch) return refuse(state, event.type, `epoch ${epoch} is newer than the role's latest drain, epoch ${state.epoch}`);
  }
  const drain = state.drain;
  if (state.phase === "draining" && drain !== undefined) {
    const effects: RoleEffect[] = [{ type: "clear-deadline", role: state.role, epoch: state.epoch }, report(state.role, "draining", event.type === "drained" ? "drained" : "failed", state.epoch)];
    if (event.type === "drained") return { ok: true, state: { ...state, phase: "drained" }, effects, changed: true };
    return { ok: true, state: { ...state, phase: "failed", drain: { ...drain, failure: event.reason } }, effects, changed: true };
  }
  if ((state.phase === "drained" && event.type === "drained") || (state.phase === "failed" && event.type === "fail")) return same(state);
  return refuse(state, event.type);
}

function resume(state: RoleState): Transition<RoleState> {
  const { role, phase, epoch } = state;
  switch (phase) {
    case "active":
      return same(state);
    case "cordoned":
      return { ok: true, state: { role, phase: "active", epoch, cordons: NO_CORDONS }, effects: [report(role, phase, "active", epoch)], changed: true };
    case "draining":
    case "drained":
    case "failed": {
      // Resume is the operator's full release: it ends the drain and clears every
      // owner's cordon (uncordon is the owner-scoped release).
      const effects: RoleEffect[] = phase === "draining" ? [{ type: "clear-deadline", role, epoch }] : [];
      effects.push({ type: "open-gates", role, epoch }, report(role, phase, "active", epoch));
      return { ok: true, state: { role, phase: "active", epoch, cordons: NO_CORDONS }, effects, changed: true };
    }
  }
}

/**
 * Applies what time alone decides: a draining role past its deadline becomes
 * `failed` (never stuck in draining), cordons past `expiresAt` lapse, and a
 * drain past its `expiresAt` lapses (the role returns to `cordoned` if other
 * cordons remain, else `active`). Returns the same state object when nothing
 * is due.
 *
 * @example
 * const r = expireRole(state, clock.now());
 * if (r.changed) { state = r.state; run(r.effects); }
 */
export function expireRole(state: RoleState, now: number): { readonly state: RoleState; readonly effects: readonly RoleEffect[]; readonly changed: boolean } {
  let cordons = state.cordons;
  for (const c of cordons) {
    if (c.expiresAt !== undefined && c.expiresAt <= now) {
      cordons = cordons.filter((k) => k.expiresAt === undefined || k.expiresAt > now);
      break;
    }
  }
  const drain = state.drain;
  const { role, phase, epoch } = state;
  if (drain?.expiresAt !== undefined && drain.expiresAt <= now) {
    const to: RolePhase = cordons.length > 0 ? "cordoned" : "active";
    const effects: RoleEffect[] = phase === "draining" ? [{ type: "clear-deadline", role, epoch }] : [];
    effects.push({ type: "open-gates", role, epoch }, report(role, phase, to, epoch));
    return { state: { role, phase: to, epoch, cordons: cordons.length > 0 ? cordons : NO_CORDONS }, effects, changed: true };
  }
  if (phase === "draining" && drain !== undefined && drain.deadline <= now) {
    const effects: RoleEffect[] = [{ type: "clear-deadline", role, epoch }, report(role, "draining", "failed", epoch)];
    return { state: { role, phase: "failed", epoch, cordons, drain: { ...drain, failure: "deadline passed with work still in flight" } }, effects, changed: true };
  }
  if (cordons === state.cordons) return { state, effects: NO_EFFECTS, changed: false };
  if (phase === "cordoned" && cordons.length === 0) {
    return { state: { role, phase: "active", epoch, cordons: NO_CORDONS }, effects: [report(role, "cordoned", "active", epoch)], changed: true };
  }
  return { state: { ...state, cordons }, effects: NO_EFFECTS, changed: true };
}
