import type { AuditEntry, Peer } from "../src/types.ts";

/** A peer as the registry returns it, with overrides. */
export function peer(id: string, over: Partial<Peer> = {}): Peer {
  return {
    id,
    address: `${id}:80`,
    pools: ["web"],
    roles: ["edge"],
    labels: {},
    metadata: {},
    spec: { cordons: {} },
    phases: { edge: over.phase === "partially-drained" ? "drained" : ((over.phase as "active") ?? "active") },
    phase: "active",
    epoch: 0,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

export function auditEntry(seq: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return { seq, id: `a${seq}`, at: seq * 1000, actor: "admin", scopes: ["mesh.admin"], action: "cordon", target: "peer/web-1", outcome: "ok", latencyMs: 1, prevHash: "", hash: "", ...over };
}

export function status(inFlight: number, owners: number, children: number, epoch = 1): NonNullable<Peer["status"]> {
  return { roles: {}, inFlight: { http: inFlight }, workloads: { owners, children }, heartbeatAt: 0, epoch };
}
