// @ts-nocheck
import type { AuditEntry } from "./audit.ts";
import type { Cluster } from "./cluster.ts";
import type { RegistryConfig } from "./config.ts";
import type { Peer } from "./peer.ts";
import type { Pool } from "./pool.ts";

/** The change feed of peers, clusters, config, pools and the audit log. */

/** One entry of the change feed. `value` is undefined on delete. */
export interface RegistryChange {
  readonly revision: number;
  readonly kind: "peer" | "cluster" | "config" | "pool" | "audit";
  readonly id: string;
  readonly value: Peer | Cluster | RegistryConfig | Pool | AuditEntry | undefined;
}
