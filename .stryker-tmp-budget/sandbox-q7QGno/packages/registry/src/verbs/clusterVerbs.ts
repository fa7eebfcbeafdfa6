// @ts-nocheck
import { ConfirmationRequiredError, LastActiveClusterError, NotFoundError, ValidationError } from "../errors.ts";
import { CLUSTERS, clusterKey } from "../keys.ts";
import { etagOf } from "../peerRecord.ts";
import { requireScope } from "../rbac.ts";
import type { ClusterAdmin } from "../roles.ts";
import type { Cluster, ClusterRole } from "../types/cluster.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Principal } from "../types/principal.ts";
import { checkIfMatch } from "../validate.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** A cluster the registry knows before anyone writes it. */
export interface DeclaredCluster {
  readonly id: string;
  readonly role: ClusterRole;
  readonly state?: string;
}

/** What the store holds under `clusters/<id>`. */
export interface ClusterRecord {
  readonly id: string;
  readonly role: ClusterRole;
  readonly state: string;
  readonly generation: number;
}

export function clusterOf(r: ClusterRecord): Cluster {
  return { id: r.id, role: r.role, state: r.state, version: r.generation };
}

/** Which cluster is active: promote and demote, never leaving none. */
export function clusterVerbs(ctx: RegistryContext, declaredClusters: readonly DeclaredCluster[]): ClusterAdmin {
  const declared = new Map(declaredClusters.map((c) => [c.id, c]));

  /** Declared clusters, overridden by what was written. */
  const clusters = async (forWrite = false): Promise<Map<string, { cluster: Cluster; version: number }>> => {
    const out = new Map<string, { cluster: Cluster; version: number }>();
    for (const d of declared.values()) out.set(d.id, { cluster: { id: d.id, role: d.role, state: d.state ?? (d.role === "active" ? "serving" : "standby"), version: 0 }, version: 0 });
    for (const item of (forWrite ? await ctx.view.listForWrite(CLUSTERS) : await ctx.view.list(CLUSTERS)).items) {
      const r = item.value as ClusterRecord;
      out.set(r.id, { cluster: clusterOf(r), version: item.version });
    }
    return out;
  };

  const clusterMutation = (principal: Principal, action: "promote" | "demote", id: string, options: MutationOptions): Promise<MutationOutcome<Cluster>> => {
    let before: string | undefined;
    return ctx.mutate({ principal, action, target: `cluster/${id}`, options, request: { id }, etagBefore: () => before }, async () => {
      requireScope(principal, "mesh.admin", action);
      if (action === "demote" && (options.reason === undefined || options.reason.trim() === "")) {
        throw new ValidationError("reason", `demoting cluster "${id}" stops it serving: say why in \`reason\` (it is recorded in the audit log)`);
      }
      if (action === "demote" && options.confirm !== true) throw new ConfirmationRequiredError("demote");
      const all = await clusters(true);
      const current = all.get(id);
      if (current === undefined) throw new NotFoundError("cluster", id);
      before = etagOf(current.cluster.version);
      checkIfMatch(`cluster/${id}`, options, current.cluster.version);
      const role: ClusterRole = action === "promote" ? "active" : "backup";
      if (current.cluster.role === role) return { write: false, etag: etagOf(current.cluster.version), result: current.cluster };
      if (action === "demote" && ![...all.values()].some((c) => c.cluster.id !== id && c.cluster.role === "active")) throw new LastActiveClusterError(id);
      const record: ClusterRecord = { id, role, state: role === "active" ? "serving" : "standby", generation: current.cluster.version + 1 };
      return { write: true, key: clusterKey(id), readVersion: current.version, record, etagBefore: etagOf(current.cluster.version), etagAfter: etagOf(record.generation), result: clusterOf(record) };
    });
  };

  return {
    async listClusters(principal: Principal): Promise<readonly Cluster[]> {
      requireScope(principal, "mesh.read", "listClusters");
      return [...(await clusters()).values()].map((c) => c.cluster).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    promote(principal: Principal, clusterId: string, options: MutationOptions = {}): Promise<MutationOutcome<Cluster>> {
      return clusterMutation(principal, "promote", clusterId, options);
    },
    demote(principal: Principal, clusterId: string, options: MutationOptions = {}): Promise<MutationOutcome<Cluster>> {
      return clusterMutation(principal, "demote", clusterId, options);
    },
  };
}
