/** Clusters: which one is active. */
// @ts-nocheck


export type ClusterRole = "active" | "backup";

export interface Cluster {
  readonly id: string;
  readonly role: ClusterRole;
  /** Free-form lifecycle state, e.g. "serving", "promoting", "standby". */
  readonly state: string;
  /** Bumped on every write; ETag `"<version>"` (0 for a declared cluster never written yet). */
  readonly version: number;
}
