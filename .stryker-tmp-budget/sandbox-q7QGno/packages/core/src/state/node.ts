// @ts-nocheck
import { UnknownRoleError, type InvalidTransitionError } from "./errors.ts";
import { derivePhase, PREDEFINED_ROLES, type NodePhase } from "./phase.ts";
import type { RoleEvent } from "./RoleEvent.ts";
import { createRoleState, expireRole, step, type RoleEffect, type RoleState, type Transition } from "./transition.ts";

/**
 * One node: a role machine per role and the node's drain epoch (the highest
 * epoch any of its roles has drained under).
 */
export interface NodeState {
  readonly epoch: number;
  readonly roles: Readonly<Record<string, RoleState>>;
}

/**
 * A {@link RoleEvent} aimed at some of the node's roles (`roles`), or at all of
 * them when `roles` is omitted.
 */
export type NodeEvent = RoleEvent & { readonly roles?: readonly string[] };

/** The outcome of {@link transitionNode}. */
export type NodeTransition = Transition<NodeState, RoleEffect, InvalidTransitionError | UnknownRoleError>;

/**
 * A node with the given roles (default: ingest, edge, storage, processing),
 * all active, never drained.
 *
 * @example
 * const node = createNodeState(["ingest", "storage"]);
 */
export function createNodeState(roles: readonly string[] = PREDEFINED_ROLES): NodeState {
  const map: Record<string, RoleState> = {};
  for (const role of roles) map[role] = createRoleState(role);
  return { epoch: 0, roles: map };
}

/**
 * The node's phase, derived from its roles (see {@link derivePhase}).
 *
 * @example
 * nodePhase(createNodeState(["ingest"])); // "active"
 */
export function nodePhase(node: NodeState): NodePhase {
  return derivePhase(Object.values(node.roles).map((r) => r.phase));
}

/**
 * True while any owner holds a cordon on any of the node's roles.
 *
 * @example
 * if (isCordoned(node)) skipForPlacement(nodeId);
 */
export function isCordoned(node: NodeState): boolean {
  for (const r of Object.values(node.roles)) if (r.cordons.length > 0 || r.phase === "cordoned") return true;
  return false;
}

/**
 * Applies an event to the named roles (or all roles), all or nothing: if any
 * role refuses, the node is unchanged and the refusal is returned. A new drain
 * takes `event.epoch`, or the node's epoch + 1 when omitted, on every role it
 * starts on; the node's epoch rises only when a drain actually starts. A
 * `drained` / `fail` report with an epoch applies to the roles in that drain
 * and skips the others (stale reports are ignored, see {@link RoleEvent}). With
 * `now`, due expiries and deadlines (see {@link expireNode}) apply first.
 *
 * @example
 * let node = createNodeState(["ingest", "storage"]);
 * const r = transitionNode(node, { type: "drain", roles: ["ingest"], reason: "upgrade", deadline: now + 30_000 }, now);
 * if (!r.ok) throw r.error;              // InvalidTransitionError / UnknownRoleError
 * node = r.state;                         // node.epoch === 1, nodePhase(node) === "draining"
 */
export function transitionNode(node: NodeState, event: NodeEvent, now?: number): NodeTransition {
  let base = node;
  let effects: RoleEffect[] = [];
  let changed = false;
  if (now !== undefined) {
    const expired = expireNode(node, now);
    if (expired.changed) {
      base = expired.state;
      effects = [...expired.effects];
      changed = true;
    }
  }
  const targets = event.roles ?? Object.keys(base.roles);
  if (event.roles !== undefined) {
    for (const role of targets) {
      if (base.roles[role] === undefined) return { ok: false, error: new UnknownRoleError(role, Object.keys(base.roles)) };
    }
  }
  const epoch = event.type === "drain" ? (event.epoch ?? base.epoch + 1) : 0;
  // An explicit epoch below the node's is an old request: every role ignores it.
  if (event.type === "drain" && epoch < base.epoch) return { ok: true, state: base, effects, changed };
  let roles: Record<string, RoleState> | undefined;
  let nodeEpoch = base.epoch;
  // A report on a drain the node knows skips roles that were not part of it.
  const report = event.type === "drained" || event.type === "fail" ? event.epoch : undefined;
  const skipOlder = report !== undefined && report <= base.epoch;
  for (const role of targets) {
    const current = base.roles[role]!;
    if (skipOlder && current.epoch < report) continue;
    const r = step(current, event, epoch);
    if (!r.ok) return r;
    if (!r.changed) continue;
    roles ??= { ...base.roles };
    roles[role] = r.state;
    if (r.state.epoch > nodeEpoch) nodeEpoch = r.state.epoch;
    for (const e of r.effects) effects.push(e);
  }
  if (roles === undefined) return { ok: true, state: base, effects, changed };
  return { ok: true, state: { epoch: nodeEpoch, roles }, effects, changed: true };
}

/**
 * Applies what time alone decides to every role (see {@link expireRole}):
 * drains past their deadline fail, cordons and drains past `expiresAt` lapse.
 * Returns the same node object when nothing is due.
 *
 * @example
 * const r = expireNode(node, clock.now());
 * if (r.changed) node = r.state;
 */
export function expireNode(node: NodeState, now: number): { readonly state: NodeState; readonly effects: readonly RoleEffect[]; readonly changed: boolean } {
  let roles: Record<string, RoleState> | undefined;
  const effects: RoleEffect[] = [];
  for (const name in node.roles) {
    const role = node.roles[name]!;
    // Fast path: the simulator calls this on every event of every node.
    if (!isDue(role, now)) continue;
    const r = expireRole(role, now);
    if (!r.changed) continue;
    roles ??= { ...node.roles };
    roles[name] = r.state;
    for (const e of r.effects) effects.push(e);
  }
  if (roles === undefined) return { state: node, effects, changed: false };
  return { state: { epoch: node.epoch, roles }, effects, changed: true };
}

function isDue(role: RoleState, now: number): boolean {
  const drain = role.drain;
  if (drain !== undefined) {
    if (drain.expiresAt !== undefined && drain.expiresAt <= now) return true;
    if (role.phase === "draining" && drain.deadline <= now) return true;
  }
  for (const c of role.cordons) if (c.expiresAt !== undefined && c.expiresAt <= now) return true;
  return false;
}

/**
 * The earliest future time at which {@link expireNode} would change something
 * (a drain deadline or an `expiresAt`), for scheduling one timer; undefined
 * when nothing is pending.
 *
 * @example
 * const at = nextExpiry(node);
 * if (at !== undefined) clock.setTimer(at - clock.now(), () => (node = expireNode(node, clock.now()).state));
 */
export function nextExpiry(node: NodeState): number | undefined {
  let next: number | undefined;
  const consider = (t: number | undefined): void => {
    if (t !== undefined && (next === undefined || t < next)) next = t;
  };
  for (const role of Object.values(node.roles)) {
    for (const c of role.cordons) consider(c.expiresAt);
    if (role.drain !== undefined) {
      consider(role.drain.expiresAt);
      if (role.phase === "draining") consider(role.drain.deadline);
    }
  }
  return next;
}
