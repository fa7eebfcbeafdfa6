// @ts-nocheck
import type {
  AuditCheckpoint,
  AuditEntry,
  AuditHeadView,
  Cluster,
  Cordon,
  DrainSpec,
  DrainStatus,
  MoveChange,
  MutationOptions,
  MutationOutcome,
  Peer,
  PeerStatus,
  PlacedWorkload,
  Placement,
  RegistryChange,
  RegistryConfig,
  RoleStatus,
  WorkloadMove,
  Pool,
} from "@drainkit/registry";
import { poolFromWire, poolToWire } from "./poolWire.ts";
import { fromStruct, toStruct, type WireStruct } from "./struct.ts";

/**
 * Registry values ↔ the objects proto-loader reads and writes. The wire
 * shapes are the registry's own, camelCased, except where proto3 needs help:
 * free-form JSON travels as Struct, unset messages arrive as null, and
 * proto3 `optional` fields are undefined when absent.
 */

/** A message object as proto-loader hands it to us. */
export type Wire = Readonly<Record<string, unknown>>;

const str = (w: Wire, k: string): string => (typeof w[k] === "string" ? (w[k] as string) : "");
const num = (w: Wire, k: string): number => (typeof w[k] === "number" ? (w[k] as number) : 0);
const opt = <K extends string, V>(k: K, v: V | undefined | null): { [P in K]?: V } =>
  (v === undefined || v === null ? {} : { [k]: v }) as { [P in K]?: V };
const strings = (w: Wire, k: string): string[] => (Array.isArray(w[k]) ? [...(w[k] as string[])] : []);
const record = <T>(w: Wire, k: string): Record<string, T> => (w[k] !== null && typeof w[k] === "object" ? { ...(w[k] as Record<string, T>) } : {});
const sub = (w: Wire, k: string): Wire | undefined => (w[k] !== null && typeof w[k] === "object" ? (w[k] as Wire) : undefined);

// ---------------------------------------------------------------- server: registry → wire

export function peerToWire(p: Peer): Wire {
  return {
    id: p.id,
    address: p.address,
    pools: p.pools,
    roles: p.roles,
    labels: p.labels,
    metadata: toStruct(p.metadata),
    spec: {
      cordons: p.spec.cordons,
      ...opt("drain", p.spec.drain),
    },
    ...opt("status", p.status === undefined ? undefined : statusToWire(p.status)),
    phases: p.phases,
    phase: p.phase,
    ...opt("liveness", p.liveness),
    ...opt("routers", p.routers),
    epoch: p.epoch,
    version: p.version,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

function statusToWire(s: PeerStatus): Wire {
  return { ...s };
}

/** A peer's placement as the `PeerPlacement` message. */
export function peerPlacementToWire(p: Placement): Wire {
  return { peer: p.peer, items: placementToWire(p.items)["items"], version: p.version, updatedAt: p.updatedAt };
}

/** The `PeerPlacement` message back to the registry's {@link Placement}. */
export function peerPlacementFromWire(w: Wire): Placement {
  return { peer: str(w, "peer"), items: placementFromWire({ items: w["items"] }) ?? [], version: num(w, "version"), updatedAt: num(w, "updatedAt") };
}

/** `placement` as the wrapped `Placement` message (unset = not reported). */
export function placementToWire(placement: readonly PlacedWorkload[]): Wire {
  return { items: placement.map((w) => ({ id: w.id, ...opt("owner", w.owner) })) };
}

/** The `Placement` message back to the registry's list; undefined when unset. */
export function placementFromWire(w: unknown): PlacedWorkload[] | undefined {
  if (w === null || typeof w !== "object") return undefined;
  const items = (w as Wire)["items"];
  return (Array.isArray(items) ? (items as Wire[]) : []).map((i) => ({ id: str(i, "id"), ...opt("owner", i["owner"] as string | undefined) }));
}

export function configToWire(c: RegistryConfig): Wire {
  return { values: toStruct(c.values), version: c.version, etag: `"${c.version}"` };
}

export function outcomeToWire(o: MutationOutcome<unknown>): Wire {
  return { etag: o.etag, changed: o.changed, auditId: o.auditId, replayed: o.replayed === true };
}

/** A move as the `WorkloadMove` message (absent `owner`, `drain`, `reason` stay unset). */
export function moveToWire(m: WorkloadMove): Wire {
  return {
    id: m.id,
    workload: m.workload,
    tier: m.tier,
    ...opt("owner", m.owner),
    from: m.from,
    to: m.to,
    ...opt("drain", m.drain === undefined ? undefined : { target: m.drain.target, epoch: m.drain.epoch }),
    state: m.state,
    ...opt("reason", m.reason),
    plannedBy: m.plannedBy,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    generation: m.generation,
  };
}

/** What WatchEvents carries: every registry change, plus workload moves. */
export type WatchEventsChange = RegistryChange | MoveChange;

export function changeToWire(c: WatchEventsChange): Wire {
  const base = { revision: c.revision, kind: c.kind, id: c.id, deleted: c.value === undefined };
  if (c.value === undefined) return base;
  switch (c.kind) {
    case "move":
      return { ...base, move: moveToWire(c.value) };
    case "peer":
      return { ...base, peer: peerToWire(c.value as Peer) };
    case "cluster":
      return { ...base, cluster: c.value };
    case "config":
      return { ...base, config: configToWire(c.value as RegistryConfig) };
    case "audit":
      return { ...base, audit: c.value };
    case "pool":
      return { ...base, pool: poolToWire(c.value as Pool) };
  }
}

// ---------------------------------------------------------------- client: wire → registry

function cordonFromWire(w: Wire): Cordon {
  return { reason: str(w, "reason"), at: num(w, "at"), ...opt("ticket", w["ticket"] as string | undefined), ...opt("expiresAt", w["expiresAt"] as number | undefined) };
}

function drainRequestFromWire(w: Wire): DrainSpec {
  return {
    epoch: num(w, "epoch"),
    deadline: num(w, "deadline"),
    roles: strings(w, "roles"),
    reason: str(w, "reason"),
    ...opt("ticket", w["ticket"] as string | undefined),
    requestedAt: num(w, "requestedAt"),
    requestedBy: str(w, "requestedBy"),
    ...(w["forced"] === true ? { forced: true } : {}),
  };
}

function roleStatusesFromWire(w: Wire, k: string): Record<string, RoleStatus> {
  const out: Record<string, RoleStatus> = {};
  for (const [role, s] of Object.entries(record<Wire>(w, k))) out[role] = { phase: str(s, "phase") as RoleStatus["phase"], epoch: num(s, "epoch") };
  return out;
}

function statusFromWire(w: Wire): PeerStatus {
  const workloads = sub(w, "workloads");
  return {
    roles: roleStatusesFromWire(w, "roles"),
    inFlight: record<number>(w, "inFlight"),
    workloads: { owners: workloads === undefined ? 0 : num(workloads, "owners"), children: workloads === undefined ? 0 : num(workloads, "children") },
    heartbeatAt: num(w, "heartbeatAt"),
    epoch: num(w, "epoch"),
    ...opt("reason", w["reason"] as string | undefined),
    ...opt("placementVersion", w["placementVersion"] as number | undefined),
  };
}

function routersFromWire(routers: Readonly<Record<string, Wire>>): Pick<Peer, "routers"> {
  const entries = Object.entries(routers);
  if (entries.length === 0) return {};
  return {
    routers: Object.fromEntries(
      entries.map(([id, r]) => [id, { since: num(r, "since"), ...opt("acked", r["acked"] as number | null | undefined ?? undefined), ...opt("ackedAt", r["ackedAt"] as number | null | undefined ?? undefined) }]),
    ),
  };
}

export function peerFromWire(w: Wire): Peer {
  const spec = sub(w, "spec") ?? {};
  const cordons: Record<string, Cordon> = {};
  for (const [owner, c] of Object.entries(record<Wire>(spec, "cordons"))) cordons[owner] = cordonFromWire(c);
  const drain = sub(spec, "drain");
  const status = sub(w, "status");
  return {
    id: str(w, "id"),
    address: str(w, "address"),
    pools: strings(w, "pools"),
    roles: strings(w, "roles"),
    labels: record<string>(w, "labels"),
    metadata: fromStruct(w["metadata"] as WireStruct | null),
    spec: { cordons, ...(drain === undefined ? {} : { drain: drainRequestFromWire(drain) }) },
    ...(status === undefined ? {} : { status: statusFromWire(status) }),
    phases: record<Peer["phases"][string]>(w, "phases"),
    phase: str(w, "phase") as Peer["phase"],
    ...(typeof w["liveness"] === "string" ? { liveness: w["liveness"] as NonNullable<Peer["liveness"]> } : {}),
    ...routersFromWire(record<Wire>(w, "routers")),
    epoch: num(w, "epoch"),
    version: num(w, "version"),
    createdAt: num(w, "createdAt"),
    updatedAt: num(w, "updatedAt"),
  };
}

export function drainStatusFromWire(w: Wire): DrainStatus {
  const remaining = sub(w, "remaining") ?? {};
  const blocking = strings(w, "blocking");
  return {
    peer: str(w, "peer"),
    epoch: num(w, "epoch"),
    status: str(w, "status") as DrainStatus["status"],
    ...opt("deadline", w["deadline"] as number | undefined),
    roles: strings(w, "roles"),
    remaining: { inFlight: num(remaining, "inFlight"), owners: num(remaining, "owners"), children: num(remaining, "children") },
    ...opt("reason", w["reason"] as string | undefined),
    ...(blocking.length > 0 ? { blocking } : {}),
  };
}

export function clusterFromWire(w: Wire): Cluster {
  return { id: str(w, "id"), role: str(w, "role") as Cluster["role"], state: str(w, "state"), version: num(w, "version") };
}

export function configFromWire(w: Wire): RegistryConfig {
  return { values: fromStruct(w["values"] as WireStruct | null) as RegistryConfig["values"], version: num(w, "version") };
}

export function auditFromWire(w: Wire): AuditEntry {
  return {
    seq: num(w, "seq"),
    id: str(w, "id"),
    at: num(w, "at"),
    actor: str(w, "actor"),
    scopes: strings(w, "scopes") as AuditEntry["scopes"][number][],
    action: str(w, "action"),
    target: str(w, "target"),
    ...opt("reason", w["reason"] as string | undefined),
    ...opt("ticket", w["ticket"] as string | undefined),
    ...opt("idempotencyKey", w["idempotencyKey"] as string | undefined),
    outcome: str(w, "outcome") as AuditEntry["outcome"],
    ...opt("errorCode", w["errorCode"] as string | undefined),
    latencyMs: num(w, "latencyMs"),
    ...opt("etagBefore", w["etagBefore"] as string | undefined),
    ...opt("etagAfter", w["etagAfter"] as string | undefined),
    ...(w["dryRun"] === true ? { dryRun: true as const } : {}),
    prevHash: str(w, "prevHash"),
    hash: str(w, "hash"),
  };
}

export function checkpointFromWire(w: Wire): AuditCheckpoint {
  const alg = w["alg"];
  return {
    seq: num(w, "seq"),
    hash: str(w, "hash"),
    at: num(w, "at"),
    signedAt: num(w, "signedAt"),
    ...(alg === "hmac-sha256" || alg === "ed25519" ? { alg } : {}),
    ...opt("keyId", w["keyId"] as string | undefined),
    ...opt("signature", w["signature"] as string | undefined),
  };
}

export function auditHeadFromWire(w: Wire): AuditHeadView {
  const cp = w["checkpoint"];
  return { seq: num(w, "seq"), hash: str(w, "hash"), at: num(w, "at"), ...(cp !== null && typeof cp === "object" ? { checkpoint: checkpointFromWire(cp as Wire) } : {}) };
}

export function moveFromWire(w: Wire): WorkloadMove {
  const drain = sub(w, "drain");
  return {
    id: str(w, "id"),
    workload: str(w, "workload"),
    tier: str(w, "tier") as WorkloadMove["tier"],
    ...opt("owner", w["owner"] as string | undefined),
    from: str(w, "from"),
    to: str(w, "to"),
    ...(drain === undefined ? {} : { drain: { target: str(drain, "target"), epoch: num(drain, "epoch") } }),
    state: str(w, "state") as WorkloadMove["state"],
    ...opt("reason", w["reason"] as string | undefined),
    plannedBy: str(w, "plannedBy"),
    createdAt: num(w, "createdAt"),
    updatedAt: num(w, "updatedAt"),
    generation: num(w, "generation"),
  };
}

export function outcomeFromWire<T>(value: T, w: Wire | undefined): MutationOutcome<T> {
  const o = w ?? {};
  return { value, etag: str(o, "etag"), changed: o["changed"] === true, auditId: str(o, "auditId"), ...(o["replayed"] === true ? { replayed: true } : {}) };
}

export function changeFromWire(w: Wire): WatchEventsChange {
  const revision = num(w, "revision");
  const kind = str(w, "kind") as WatchEventsChange["kind"];
  const id = str(w, "id");
  // Keys in the order REST's feed writes them, so a change prints the same JSON either way.
  if (kind === "move") {
    const move = sub(w, "move");
    return { revision, kind, id, value: move === undefined ? undefined : moveFromWire(move) };
  }
  const peer = sub(w, "peer");
  const cluster = sub(w, "cluster");
  const config = sub(w, "config");
  const audit = sub(w, "audit");
  const pool = sub(w, "pool");
  const value =
    peer !== undefined ? peerFromWire(peer)
    : cluster !== undefined ? clusterFromWire(cluster)
    : config !== undefined ? configFromWire(config)
    : audit !== undefined ? auditFromWire(audit)
    : pool !== undefined ? poolFromWire(pool)
    : undefined;
  return { revision, kind, id, value };
}

// ---------------------------------------------------------------- options

export function optionsToWire(o: MutationOptions = {}): Wire {
  return {
    ...opt("idempotencyKey", o.idempotencyKey),
    ...opt("ifMatch", o.ifMatch),
    ...opt("reason", o.reason),
    ...opt("ticket", o.ticket),
    confirm: o.confirm === true,
    dryRun: o.dryRun === true,
  };
}

/**
 * MutationOptions from the request's `options` field, falling back to the
 * `idempotency-key` / `if-match` metadata (the REST header names), so a proxy
 * or a generic client can set them without touching the message.
 */
export function optionsFromWire(w: Wire | undefined, metadata: { get(key: string): unknown[] }): MutationOptions {
  const o = w ?? {};
  const meta = (k: string): string | undefined => {
    const v = metadata.get(k)[0];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const idempotencyKey = (o["idempotencyKey"] as string | undefined) ?? meta("idempotency-key");
  const ifMatch = (o["ifMatch"] as string | undefined) ?? meta("if-match");
  return {
    ...opt("idempotencyKey", idempotencyKey),
    ...opt("ifMatch", ifMatch),
    ...opt("reason", o["reason"] as string | undefined),
    ...opt("ticket", o["ticket"] as string | undefined),
    ...(o["confirm"] === true ? { confirm: true } : {}),
    ...(o["dryRun"] === true ? { dryRun: true } : {}),
  };
}
