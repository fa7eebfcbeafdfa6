// @ts-nocheck
import { expireNode, isAvailable, nextExpiry, type Cordon, type RoleDrain, type NodeState, type RolePhase, type RoleState } from "@drainkit/core";
import type { RoutingPeer } from "./source.ts";

/**
 * Rebuilds core's `NodeState` from what the control plane published, so
 * expiries are decided by core's own `expireNode`, never re-modelled here.
 * Cordons are node-wide in the registry, so every role carries all of them.
 */
export function nodeStateOf(peer: RoutingPeer): NodeState {
  const cordons: Cordon[] = Object.entries(peer.spec.cordons).map(([owner, c]) =>
    c.expiresAt === undefined ? { owner, reason: c.reason } : { owner, reason: c.reason, expiresAt: c.expiresAt },
  );
  const drain = peer.spec.drain;
  const roles: Record<string, RoleState> = {};
  for (const role of peer.roles) {
    const phase: RolePhase = peer.phases[role] ?? "active";
    const held = drain !== undefined && drain.roles.includes(role) && (phase === "draining" || phase === "drained" || phase === "failed");
    let record: RoleDrain | undefined;
    if (held) {
      record = { epoch: drain.epoch, reason: drain.reason, deadline: drain.deadline };
      if (drain.expiresAt !== undefined) record = { ...record, expiresAt: drain.expiresAt };
    }
    const epoch = held ? drain.epoch : peer.epoch;
    roles[role] = record === undefined ? { role, phase, epoch, cordons } : { role, phase, epoch, cordons, drain: record };
  }
  return { epoch: peer.epoch, roles };
}

/**
 * A flag (cordon or drain) that is past its expiry while the control plane
 * still publishes it: nobody has written the peer since it lapsed.
 */
export interface StaleFlag {
  readonly peer: string;
  readonly flag: "cordon" | "drain";
  /** The cordon's owner, or the drain's epoch as a string. */
  readonly holder: string;
  /** The role whose phase core changes when the flag lapses (undefined for a cordon on a role that stays put). */
  readonly role?: string;
  /** The expiry (cordon / drain `expiresAt`) or deadline that passed, epoch ms. */
  readonly dueAt: number;
  readonly reason: string;
}

/** The flags of `node` that core's `expireNode` would lapse at `now`, each once. */
export function staleFlagsOf(peer: string, node: NodeState, now: number): StaleFlag[] {
  const out = new Map<string, StaleFlag>();
  const expired = expireNode(node, now).state;
  for (const [role, before] of Object.entries(node.roles)) {
    const after = expired.roles[role];
    if (after === undefined || after === before) continue;
    for (const c of before.cordons) {
      if (after.cordons.some((k) => k.owner === c.owner)) continue;
      const key = `cordon/${c.owner}`;
      if (!out.has(key)) out.set(key, { peer, flag: "cordon", holder: c.owner, dueAt: c.expiresAt ?? now, reason: c.reason, ...(before.phase === "cordoned" && after.phase !== "cordoned" ? { role } : {}) });
    }
    const d = before.drain;
    if (d !== undefined && (after.drain === undefined || after.phase !== before.phase)) {
      const dueAt = d.expiresAt !== undefined && d.expiresAt <= now ? d.expiresAt : d.deadline;
      out.set(`drain/${d.epoch}/${role}`, { peer, flag: "drain", holder: String(d.epoch), role, dueAt, reason: d.reason });
    }
  }
  return [...out.values()];
}

/** Phases per role at `now` (core's expiries applied) and the next time something is due after `now`. */
export function phasesAt(node: NodeState, now: number): { readonly phases: Readonly<Record<string, RolePhase>>; readonly next: number | undefined } {
  const expired = expireNode(node, now).state;
  const phases: Record<string, RolePhase> = {};
  for (const [role, s] of Object.entries(expired.roles)) phases[role] = s.phase;
  return { phases, next: nextExpiry(expired) };
}

/**
 * Takes new traffic for the role: core's availability rule (active, or
 * cordoned and still serving), never draining, drained or failed.
 */
export function isRoutable(role: string, phase: RolePhase | undefined): boolean {
  if (phase === undefined) return false;
  return isAvailable({ name: role, role }, { id: "", pools: [], phase, roles: { [role]: phase } });
}

/** Still finishing work it already has: routable, or draining (sticky sessions stay). */
export function servesExisting(role: string, phase: RolePhase | undefined): boolean {
  return phase === "draining" || isRoutable(role, phase);
}
