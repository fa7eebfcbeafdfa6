/**
 * The registry's key layout in its store, in one place. Every key the
 * registry reads, writes, watches or lists is built here, so a store holds
 * nothing whose name is spelled twice.
 */

export const peerKey = (id: string): string => `peers/${id}`;
export const PEERS = "peers/";

/** A peer's reported placement: its own key, so a heartbeat repeating it stays small. */
export const placementKey = (id: string): string => `placement/${id}`;
export const PLACEMENTS = "placement/";

export const clusterKey = (id: string): string => `clusters/${id}`;
export const CLUSTERS = "clusters/";

export const CONFIG_KEY = "config";

export const rolloutKey = (id: string): string => `rollouts/${id}`;
export const ROLLOUTS = "rollouts/";

export const approvalKey = (id: string): string => `approvals/${id}`;
export const APPROVALS = "approvals/";

export const moveKey = (id: string): string => `moves/${id}`;
export const MOVES = "moves/";

/**
 * The latest move planned for a workload (`{ move: <id> }`), written with the
 * plan and deleted with the move when pruned: the one-home check reads it
 * instead of listing every move.
 */
export const workloadMoveKey = (workload: string): string => `move-latest/${workload}`;

/** Store key of audit entry `seq`; zero-padded so key order is seq order. */
export function auditKey(seq: number): string {
  return `${AUDIT}${String(seq).padStart(12, "0")}`;
}
export const AUDIT = "audit/";

/** The last entry's seq and hash, compared in every mutation. */
export const AUDIT_HEAD = "audit-head";

/** The signed checkpoint of the audit prefix retention removed: the chain starts after it. */
export const AUDIT_CHECKPOINT = "audit-checkpoint";

/**
 * Audit entries by target, written with each entry, so a `target` query reads
 * only that target's entries. `audit-index` records the first seq indexed
 * (entries written before the index existed are found by scanning).
 */
export const AUDIT_INDEX = "audit-index";
export const auditTargetPrefix = (target: string): string => `audit-by-target/${encodeURIComponent(target)}/`;
export const auditTargetKey = (target: string, seq: number): string => `${auditTargetPrefix(target)}${String(seq).padStart(12, "0")}`;

export const IDEMPOTENCY = "idem/";
/** One record per principal and Idempotency-Key. */
export const idempotencyKey = (principalId: string, key: string): string => `${IDEMPOTENCY}${encodeURIComponent(principalId)}/${encodeURIComponent(key)}`;

/** Idempotency records by write time, so the sweep reads only what is due. */
export const IDEM_BY_TIME = "idem-by-time/";
export const idemTimeKey = (at: number, idemKey: string): string =>
  `${IDEM_BY_TIME}${String(Math.max(0, Math.floor(at))).padStart(15, "0")}/${idemKey.slice(IDEMPOTENCY.length)}`;
/** The first time-index key at or after `at`: the sweep's end of what is due. */
export const idemTimeBound = (at: number): string => `${IDEM_BY_TIME}${String(Math.max(0, Math.ceil(at))).padStart(15, "0")}`;

/** A declared pool and its budgets, one key per pool. */
export const poolKey = (name: string): string => `pools/${name}`;
export const POOLS = "pools/";
