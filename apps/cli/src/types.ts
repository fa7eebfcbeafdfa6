/**
 * The shapes of the control API as drainctl reads them. They mirror
 * @drainkit/registry's public types; the CLI only ever sees them as JSON, so
 * it declares what it reads instead of importing the server's packages.
 */
export type Phase = "active" | "cordoned" | "draining" | "drained" | "failed" | "partially-drained";

export interface Peer {
  readonly id: string;
  readonly address: string;
  readonly pools: readonly string[];
  readonly roles: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly spec: { readonly cordons?: Readonly<Record<string, { readonly reason: string; readonly expiresAt?: number }>>; readonly drain?: { readonly epoch: number; readonly deadline: number; readonly reason: string } };
  readonly status?: {
    readonly inFlight: Readonly<Record<string, number>>;
    readonly workloads: { readonly owners: number; readonly children: number };
    readonly heartbeatAt: number;
  };
  readonly phases?: Readonly<Record<string, string>>;
  readonly phase: Phase;
  readonly epoch: number;
  readonly version: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
  readonly revision: number;
}

export interface DrainStatus {
  readonly peer: string;
  readonly epoch: number;
  readonly status: "none" | "draining" | "drained" | "failed";
  readonly deadline?: number;
  readonly roles: readonly string[];
  readonly remaining: { readonly inFlight: number; readonly owners: number; readonly children: number };
  readonly reason?: string;
  readonly blocking?: readonly string[];
}

export interface Cluster {
  readonly id: string;
  readonly role: "active" | "backup";
  readonly state: string;
  readonly version: number;
}

export interface RegistryConfig {
  readonly values: Readonly<Record<string, string | number | boolean>>;
  readonly version: number;
}

export interface AuditEntry {
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly reason?: string;
  readonly ticket?: string;
  readonly outcome: "ok" | "refused" | "error";
  readonly errorCode?: string;
  readonly latencyMs: number;
  readonly prevHash: string;
  readonly hash: string;
}

export interface RegistryChange {
  readonly revision: number;
  readonly kind: "peer" | "cluster" | "config" | "audit" | "move";
  readonly id: string;
  readonly value: unknown;
}

export type RolloutState = "running" | "paused" | "aborting" | "aborted" | "completed" | "incomplete";

/** A rolling upgrade as `GET /control/upgrade` answers it. */
export interface Rollout {
  readonly id: string;
  readonly version: string;
  readonly state: RolloutState;
  readonly stateReason?: string;
  readonly reason?: string;
  readonly plan: {
    readonly waves: readonly { readonly index: number; readonly nodes: readonly string[] }[];
    readonly blocked: readonly { readonly node: string; readonly reason: string; readonly pool?: string; readonly detail?: string }[];
  };
  readonly nodes: Readonly<Record<string, { readonly step: string; readonly wave?: number; readonly reason?: string; readonly at: number }>>;
  readonly progress: { readonly total?: number; readonly done?: number; readonly failed?: number; readonly inProgress?: number; readonly pending?: number; readonly etaMs?: number };
}

/** Where a workload move stands: `serving` once the destination owns it, `done` once the source stopped its copy. */
export type MoveState = "starting" | "serving" | "done" | "failed";

/** One workload moving off a peer, as `GET /control/moves` answers it (oldest first). */
export interface WorkloadMove {
  readonly id: string;
  readonly workload: string;
  readonly tier: "owner" | "child";
  /** A child's owner workload. */
  readonly owner?: string;
  readonly from: string;
  readonly to: string;
  /** The drain the move serves, when it serves one. */
  readonly drain?: { readonly target: string; readonly epoch: number };
  readonly state: MoveState;
  /** Why it failed. */
  readonly reason?: string;
  readonly plannedBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly generation: number;
}

/** An `event: move` of `/control/events`; `value` is absent once the move was pruned. */
export interface MoveChange {
  readonly revision: number;
  readonly kind: "move";
  readonly id: string;
  readonly value?: WorkloadMove;
}
