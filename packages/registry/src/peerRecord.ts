import { createRoleState, expireNode, nodePhase, type NodeState, type RolePhase } from "@drainkit/core";
import type { Cordon, Peer, PeerIdentity, PeerRouter, PeerStatus } from "./types/peer.ts";
import type { DrainSpec, DrainStatus } from "./types/drain.ts";

/**
 * What the store holds under `peers/<id>`. The node's role machines are core's
 * `NodeState`, kept verbatim so every mutation is a core transition; the
 * registry adds identity, the drain request's bookkeeping, cordon tickets and
 * the agent's last report.
 */
export interface PeerRecord extends PeerIdentity {
  readonly node: NodeState;
  /** Ticket and time of each owner's cordon (core keeps owner, reason, expiry). */
  readonly cordonInfo: Readonly<Record<string, { readonly at: number; readonly ticket?: string }>>;
  readonly drain?: DrainSpec;
  readonly status?: PeerStatus;
  /** Routers registered for the peer, by router id, and their acknowledgements. */
  readonly routers?: Readonly<Record<string, PeerRouter>>;
  /** sha256 of the canonical JSON of the stored placement's items: a heartbeat repeating it writes no `placement/` key. */
  readonly placementHash?: string;
  /** When the leader recorded that the agent's report of `lastReportAt` went past the liveness window (current while that is still `status.heartbeatAt`). */
  readonly silence?: { readonly at: number; readonly lastReportAt: number };
  /** Bumped on every write: the ETag. */
  readonly generation: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The status as the public view shows it: records written before placement had its own key embedded the list. */
function publicStatus(status: PeerStatus): PeerStatus {
  if (!("placement" in status)) return status;
  const { placement: _legacy, ...rest } = status as PeerStatus & { placement?: unknown };
  return rest;
}

export function etagOf(generation: number): string {
  return `"${generation}"`;
}

/** Keeps the machines of roles the peer still has, adds fresh ones for new roles. */
export function reshapeNode(node: NodeState, roles: readonly string[]): NodeState {
  const next: Record<string, NodeState["roles"][string]> = {};
  for (const role of roles) next[role] = node.roles[role] ?? createRoleState(role);
  return { epoch: node.epoch, roles: next };
}

/** The node with every due expiry (deadline, cordon / drain expiry) applied as of `now`. */
export function currentNode(record: PeerRecord, now: number): NodeState {
  return expireNode(record.node, now).state;
}

/** Liveness window used where the config is not at hand (the config key's default). */
export const DEFAULT_STALE_AFTER_MS = 30_000;

/** The liveness window a set of settings gives (`heartbeat.staleAfterMs`, else its default). */
export function livenessWindow(values: Readonly<Record<string, unknown>>): number {
  return Number(values["heartbeat.staleAfterMs"] ?? DEFAULT_STALE_AFTER_MS);
}

/** `live` when the agent reported within `staleAfterMs` of `now`; a peer that never reported is `unknown`. */
export function livenessOf(record: Pick<PeerRecord, "status">, now: number, staleAfterMs: number = DEFAULT_STALE_AFTER_MS): "live" | "unknown" {
  return record.status !== undefined && now - record.status.heartbeatAt <= staleAfterMs ? "live" : "unknown";
}

/** The public view of a record at `now`. */
export function toPeer(record: PeerRecord, now: number, staleAfterMs: number = DEFAULT_STALE_AFTER_MS): Peer {
  // Built with as few intermediate objects as the view allows: every read, every change on the feed and every write's answer is one.
  const node = currentNode(record, now);
  const phases: Record<string, RolePhase> = {};
  const cordons: Record<string, Cordon> = {};
  const drainEpoch = record.drain?.epoch;
  let drainHeld = false;
  for (const role in node.roles) {
    const state = node.roles[role]!;
    phases[role] = state.phase;
    if (drainEpoch !== undefined && state.drain?.epoch === drainEpoch) drainHeld = true;
    for (const c of state.cordons) {
      if (cordons[c.owner] !== undefined) continue;
      const info = record.cordonInfo[c.owner];
      const cordon: { reason: string; at: number; ticket?: string; expiresAt?: number } = { reason: c.reason, at: info?.at ?? record.updatedAt };
      if (info?.ticket !== undefined) cordon.ticket = info.ticket;
      if (c.expiresAt !== undefined) cordon.expiresAt = c.expiresAt;
      cordons[c.owner] = cordon;
    }
  }
  const spec: Peer["spec"] = drainHeld ? { cordons, drain: record.drain! } : { cordons };
  const peer: { -readonly [K in keyof Peer]: Peer[K] } = {
    id: record.id,
    address: record.address,
    pools: record.pools,
    roles: record.roles,
    labels: record.labels,
    metadata: record.metadata,
    spec,
  } as Peer;
  if (record.status !== undefined) peer.status = publicStatus(record.status);
  peer.phases = phases;
  peer.phase = nodePhase(node);
  peer.liveness = livenessOf(record, now, staleAfterMs);
  if (record.silence !== undefined && record.silence.lastReportAt === record.status?.heartbeatAt) peer.silentSince = record.silence.at;
  if (record.routers !== undefined && hasKeys(record.routers)) peer.routers = record.routers;
  peer.epoch = node.epoch;
  peer.version = record.generation;
  peer.createdAt = record.createdAt;
  peer.updatedAt = record.updatedAt;
  return peer;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** Progress of the peer's current drain, from its role phases and the agent's last report. */
export function drainStatusOf(peer: Peer): DrainStatus {
  const drain = peer.spec.drain;
  const status = peer.status;
  const inFlightBy = status !== undefined && status.epoch === drain?.epoch ? status.inFlight : {};
  const inFlight = Object.values(inFlightBy).reduce((a, b) => a + b, 0);
  const remaining = {
    inFlight,
    owners: status !== undefined && status.epoch === drain?.epoch ? status.workloads.owners : 0,
    children: status !== undefined && status.epoch === drain?.epoch ? status.workloads.children : 0,
  };
  if (drain === undefined) return { peer: peer.id, epoch: peer.epoch, status: "none", roles: [], remaining: { inFlight: 0, owners: 0, children: 0 } };
  const phases = drain.roles.map((r) => peer.phases[r]);
  const failed = phases.includes("failed");
  const drained = phases.every((p) => p === "drained");
  const blocking = [
    ...drain.roles.filter((r) => peer.phases[r] === "draining").map((r) => `role:${r}`),
    ...Object.entries(inFlightBy).filter(([, n]) => n > 0).map(([p]) => `participant:${p}`),
  ];
  // The control plane's drain scheduler says when the drain cannot progress (e.g. its workloads have nowhere to go).
  const stalled = !failed && !drained ? drain.stalled : undefined;
  if (stalled !== undefined) blocking.push(...stalled.workloads.map((w) => `workload:${w}`));
  // The host's own account of its failure is the most specific; the leader's (deadline) comes next.
  const agentSays = status !== undefined && status.epoch === drain.epoch ? status.reason : undefined;
  // While it waits, the host may say why (a control-plane replica that must keep leading, say).
  const reason = failed ? (agentSays ?? drain.failure?.reason ?? status?.reason ?? "the drain missed its deadline or a participant failed") : drained ? undefined : (stalled?.reason ?? agentSays);
  return {
    peer: peer.id,
    epoch: drain.epoch,
    status: failed ? "failed" : drained ? "drained" : "draining",
    deadline: drain.deadline,
    roles: drain.roles,
    remaining,
    ...(reason === undefined ? {} : { reason }),
    ...(blocking.length > 0 && !drained ? { blocking } : {}),
  };
}
