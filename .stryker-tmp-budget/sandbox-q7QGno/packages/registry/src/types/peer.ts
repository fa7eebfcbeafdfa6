// @ts-nocheck
import type { NodePhase, PoolBudget, RolePhase } from "@drainkit/core";
import type { DrainSpec } from "./drain.ts";
import type { PlacedWorkload } from "./placement.ts";

/** A peer: its identity, desired state (spec) and observed state (status), and the inputs that register and report it. */

/** Role and node phases and pool budgets are core's own types. */
export type { NodePhase, PoolBudget, RolePhase };

/** One owner's cordon. A node is cordoned while any unexpired cordon remains. */
export interface Cordon {
  readonly reason: string;
  readonly ticket?: string;
  /** Epoch ms when the cordon was placed. */
  readonly at: number;
  /** Epoch ms after which the cordon no longer counts. */
  readonly expiresAt?: number;
}

/** Desired state, written by operators and the control plane. */
export interface PeerSpec {
  /** Cordons keyed by owner (a principal, a controller, a rollout). */
  readonly cordons: Readonly<Record<string, Cordon>>;
  readonly drain?: DrainSpec;
}

export interface RoleStatus {
  readonly phase: RolePhase;
  readonly epoch: number;
}

/** Observed state, reported by the host's agent. */
export interface PeerStatus {
  readonly roles: Readonly<Record<string, RoleStatus>>;
  /** In-flight units per drain participant. */
  readonly inFlight: Readonly<Record<string, number>>;
  readonly workloads: { readonly owners: number; readonly children: number };
  /**
   * Version of the peer's {@link Placement} (`placement/<id>`, read with
   * `getPlacement`); absent until the agent first reports placement. The list
   * itself is kept out of the peer document so a heartbeat stays small.
   */
  readonly placementVersion?: number;
  /** Epoch ms of the report, as stamped by the registry's clock. */
  readonly heartbeatAt: number;
  /** The drain epoch the agent last acted on. */
  readonly epoch: number;
  readonly reason?: string;
}

/**
 * A router that sends this peer traffic (`PUT /control/peers/{id}/routers/{router}`)
 * and the last drain epoch whose removal it acknowledged
 * (`POST /control/peers/{id}/routers/{router}:ack`). The peer's agent ends its
 * deregistration delay once every router registered here acknowledged the drain.
 */
export interface PeerRouter {
  /** Epoch ms of its registration (registry clock). */
  readonly since: number;
  /** The drain epoch it last took the peer out of rotation for. */
  readonly acked?: number;
  readonly ackedAt?: number;
}

/** Whether the peer's agent reported within its liveness window. */
export type Liveness = "live" | "unknown";

/** Who a peer is and where it serves: what it registered with, shared by the public view and the stored record. */
export interface PeerIdentity {
  readonly id: string;
  readonly address: string;
  readonly pools: readonly string[];
  readonly roles: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** A host taking part in coordinated maintenance. */
export interface Peer extends PeerIdentity {
  readonly spec: PeerSpec;
  readonly status?: PeerStatus;
  /** Per-role phase held by the registry (core's state machine, expiries applied). */
  readonly phases: Readonly<Record<string, RolePhase>>;
  /** Derived from `phases` by core's `derivePhase` (may be "partially-drained"). */
  readonly phase: NodePhase;
  /**
   * `unknown` when the peer's agent never reported, or not within the liveness
   * window (config `heartbeat.staleAfterMs`), like Kubernetes' NotReady: such a
   * peer never counts as available. Always set by the registry.
   */
  readonly liveness?: Liveness;
  /** Routers registered for this peer, by router id; absent when none is. */
  readonly routers?: Readonly<Record<string, PeerRouter>>;
  /** Current drain epoch (0 before the first drain). */
  readonly epoch: number;
  /** Bumped on every write of this peer; the ETag is `"<version>"`. */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface PeerRegistration {
  readonly id: string;
  readonly address: string;
  readonly pools: readonly string[];
  readonly roles: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface StatusReport {
  readonly roles: Readonly<Record<string, RoleStatus>>;
  readonly inFlight?: Readonly<Record<string, number>>;
  /** Counts; derived from `placement` when only that is given. */
  readonly workloads?: { readonly owners: number; readonly children: number };
  /**
   * The workloads the peer holds (at most 10,000, ids unique, an entry never
   * its own owner). Stored as reported under `placement/<id>` (written only
   * when it differs from the stored list); when `workloads` is absent the
   * counts are derived from it (owners: entries without `owner`).
   */
  readonly placement?: readonly PlacedWorkload[];
  /** The drain epoch the agent acted on; reports from an older epoch are ignored. */
  readonly epoch: number;
  readonly reason?: string;
}

/** JSON merge patch (RFC 7396) of labels and metadata; `null` deletes. */
export interface PeerPatch {
  readonly labels?: Readonly<Record<string, string | null>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface PeerQuery {
  readonly role?: string;
  /** Node phase. */
  readonly state?: NodePhase | "unknown";
  /** `key=value` or `key`. */
  readonly label?: string;
  readonly pool?: string;
  readonly limit?: number;
  readonly cursor?: string;
}
